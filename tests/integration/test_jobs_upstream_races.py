"""Upstream writers forced between our requests, one interleaving at a time, with botocore event
hooks on this thread's own clients (the upstream writer uses a boto3 session of its own, so its
requests are not hooked): an upload between our read and our delete, an identical re-upload, two
offloads at once, and seed 003's `update_job` at every point of the API's job PATCH.

After each: our writes never leave both forms, a key always has its object (no dangling key),
the item's fields and its steps come from one writer, and a write of ours that was acknowledged
after upstream's finished is the one that stays."""

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.errors import Conflict
from jobs.gateway import STEPS, STEPS_KEY
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore, steps_key
from tests.upstream import SeedWorker

pytestmark = pytest.mark.django_db

LARGE = 350_000  # characters: past our offload margin and past the seed's estimate


def steps(writer: str, large: bool) -> list[dict]:
    return [{"step_name": writer, "output": "x" * LARGE if large else "ok"}]


def clients() -> dict[str, object]:
    """This thread's own clients: the ones job_update and the API use here."""
    return {"s3": ExecutionStepsStore().storage.s3_client(), "dynamodb": dynamodb_client()}


def once_at(event: str, action) -> list[bool]:
    """Run `action` the first time this thread's client reaches `event`; the list says whether it ran."""
    ran: list[bool] = []
    client = clients()[event.split(".")[1]]

    def hook(**_kwargs):
        if not ran:
            ran.append(True)
            action()

    client.meta.events.register(event, hook, unique_id=f"race-{event}")
    return ran


@pytest.fixture
def unhook():
    yield
    for client in clients().values():
        for event in list(EVENTS):
            client.meta.events.unregister(event, unique_id=f"race-{event}")


EVENTS = (
    "before-call.dynamodb.GetItem",
    "before-call.s3.HeadObject",
    "after-call.s3.HeadObject",
    "before-call.s3.PutObject",
    "before-call.dynamodb.UpdateItem",
    "before-call.s3.DeleteObject",
)


def final_job() -> tuple[str, list[dict]]:
    """The writer named by the item and the steps it points at (the key wins, as readers read it);
    fails on a dangling key, and on both forms left by our write (seed 003's offload keeps inline
    steps it does not replace: that is the both_present its own writes leave)."""
    item = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "j"}, ConsistentRead=True)["Item"]
    assert not (STEPS in item and STEPS_KEY in item) or item["current_step"] == "upstream"
    found = ExecutionStepsStore().load(item[STEPS_KEY]) if STEPS_KEY in item else item[STEPS]
    assert found[0]["step_name"] == item["current_step"]  # fields and steps from one writer
    return item["current_step"], found


@pytest.fixture
def offloaded(aws, monkeypatch):
    """Job j, offloaded by us; objects count as old enough to delete, the riskiest setting."""
    monkeypatch.setattr("jobs.services.ORPHAN_GRACE_SECONDS", 0)
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "j", "status": "running"})
    job_update(job_id="j", execution_steps=steps("first", True), attributes={"current_step": "first"})


def ours(large: bool) -> None:
    job_update(job_id="j", execution_steps=steps("ours", large), attributes={"current_step": "ours"})


# ---- an upload between our read and our delete --------------------------------------------------


@pytest.mark.parametrize(
    "identical, event, grace",
    [
        # Uploaded after our item read, before we look at the object: the object we see is theirs,
        # and young: the grace age keeps it.
        (False, "before-call.s3.HeadObject", 3600),
        # The same bytes uploaded again after we looked (same ETag, so If-Match cannot tell): the
        # delete names the version we saw, and theirs is another version.
        (True, "after-call.s3.HeadObject", 0),
    ],
    ids=["upload_before_we_look", "identical_reupload_after_we_look"],
)
def test_an_upload_between_our_read_and_our_delete_is_kept(offloaded, unhook, monkeypatch, identical, event, grace):
    monkeypatch.setattr("jobs.services.ORPHAN_GRACE_SECONDS", grace)
    worker, key = SeedWorker(), steps_key("j")
    current = worker.s3.get_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)["Body"].read()
    theirs = json.loads(current) if identical else steps("upstream", True)
    body = current if identical else json.dumps(theirs).encode()

    def upload():  # the seed's first half: upload; its item write comes after ours
        worker.s3.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=body)

    uploaded = once_at(event, upload)
    ours(large=False)  # inline: the key is removed, the object it read is deleted by version
    assert uploaded
    worker.write_item("j", {"execution_steps_s3_key": key, "current_step": theirs[0]["step_name"]})
    worker.table.update_item(Key={"job_id": "j"}, UpdateExpression="REMOVE execution_steps")
    writer, found = final_job()
    assert (writer, found) == (theirs[0]["step_name"], theirs)  # their upload survived our delete


# ---- two offloads at once ------------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS[:5])
def test_an_upstream_offload_before_our_commit_leaves_ours_whole(offloaded, unhook, event):
    worker = SeedWorker()
    raced = once_at(event, lambda: worker.update_job("j", {"current_step": "upstream", **big("upstream")}))
    try:
        ours(large=True)
    except Conflict:
        assert raced and final_job()[0] == "upstream"  # we gave way, nothing of ours acknowledged
        return
    assert raced and final_job() == ("ours", steps("ours", True))  # acknowledged after theirs: ours stays


def test_an_upload_between_our_read_and_our_upload_makes_ours_give_way(offloaded, unhook):
    worker = SeedWorker()
    once_at("before-call.s3.PutObject", lambda: worker.upload("j", steps("upstream", True)))
    with pytest.raises(Conflict, match="Another service is uploading"):
        ours(large=True)
    worker.write_item("j", {"execution_steps_s3_key": steps_key("j"), "current_step": "upstream"})
    assert final_job() == ("upstream", steps("upstream", True))


def test_an_upload_by_another_of_our_writers_is_retried_over(offloaded, unhook):
    # Our writers' item writes are conditional: the one whose upload was overtaken tries again.
    other = lambda: job_update(job_id="j", execution_steps=steps("other", True), attributes={"current_step": "other"})  # noqa: E731
    raced = once_at("before-call.s3.PutObject", other)
    ours(large=True)
    assert raced and final_job() == ("ours", steps("ours", True))


def big(writer: str) -> dict:
    return {"execution_steps": steps(writer, True)}


# ---- seed 003's update_job against the API's PATCH, at every point -------------------------------


@pytest.fixture
def api(offloaded, make_user):
    client = APIClient()
    client.force_authenticate(make_user("writer", perms=["jobs.view_job", "jobs.change_job"]))
    return client


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("ours_large", [False, True], ids=["ours_inline", "ours_offloaded"])
@pytest.mark.parametrize("theirs_large", [False, True], ids=["theirs_inline", "theirs_offloaded"])
def test_seed_update_job_racing_the_api_patch(api, unhook, event, ours_large, theirs_large):
    worker = SeedWorker()
    update = {"current_step": "upstream", "execution_steps": steps("upstream", theirs_large)}
    raced = once_at(event, lambda: worker.update_job("j", update))
    body = {"current_step": "ours", "execution_steps": steps("ours", ours_large)}
    response = api.patch("/api/jobs/j/", json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 409)
    if not raced:  # our write made no such request: upstream writes after it
        worker.update_job("j", update)
        assert final_job()[0] == "upstream"
        return
    writer, found = final_job()
    if response.status_code == 409:
        assert writer == "upstream"
    elif event == "before-call.s3.DeleteObject":  # upstream's write came after our commit
        assert (writer, found) == ("upstream", steps("upstream", theirs_large))
    else:
        assert (writer, found) == ("ours", steps("ours", ours_large))
        assert response.json()["execution_steps"] == steps("ours", ours_large)
