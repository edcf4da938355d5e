"""Two writers of one job's steps in the interleavings that used to lose one's work, forced with
botocore event hooks on each thread's own clients, against the one-request-at-a-time moto server.

The S3 key of a job's steps is always the same (`jobs/{job_id}/execution_steps.json`), so a key in
the item does not say whose upload the object holds: writers must not trust it alone."""

import threading

from django.conf import settings

from core.dynamo.connection import dynamodb_client, dynamodb_table
from jobs.gateway import STEPS, STEPS_KEY
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore
from tests.threads import in_threads

LARGE = 350_000  # characters: past the offload margin


def steps(marker: str, large: bool) -> list[dict]:
    return [{"step_name": marker, "output": "x" * LARGE if large else "ok"}]


def write(marker: str, large: bool) -> None:
    job_update(job_id="j", execution_steps=steps(marker, large), attributes={"current_step": marker})


def when(client, event: str, action) -> None:
    """Call `action` on `event` of this thread's `client`, once; the call itself goes on."""
    done = []

    def hook(**_kwargs):
        if not done:
            done.append(True)
            action()

    client.meta.events.register(event, hook)


def final_job() -> tuple[str, list[dict]]:
    """The job's `current_step` and the steps it points at, wherever they live."""
    item = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "j"}, ConsistentRead=True)["Item"]
    assert not (STEPS in item and STEPS_KEY in item)
    found = ExecutionStepsStore().load(item[STEPS_KEY]) if STEPS_KEY in item else item[STEPS]
    return item["current_step"], found


def offloaded_job() -> None:
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "j", "status": "running"})
    write("first", large=True)


def race(*, a_large: bool, b_starts_after: str, a_waits_before: str) -> None:
    """Writer A writes steps; writer B writes large steps once A's client has seen the event
    `b_starts_after`, and A goes on past its event `a_waits_before` only once B is done."""
    a_reached, b_done = threading.Event(), threading.Event()

    def a():
        store = ExecutionStepsStore()
        clients = {"s3": store.storage.s3_client(), "dynamodb": dynamodb_client()}  # this thread's own
        when(clients[b_starts_after.split(".")[1]], b_starts_after, a_reached.set)
        when(clients[a_waits_before.split(".")[1]], a_waits_before, lambda: b_done.wait(30))
        job_update(job_id="j", execution_steps=steps("A", a_large), attributes={"current_step": "A"}, store=store)

    def b():
        a_reached.wait(30)
        try:
            write("B", large=True)
        finally:
            b_done.set()

    assert in_threads(a, b, timeout=60) == []


def test_an_upload_overwritten_by_another_writer_is_not_pointed_at(atomic_aws):
    # A uploads, B uploads and commits, then A commits: A's commit must fail (and A retry), or the
    # job would say A while holding B's steps, and A's acknowledged steps would be lost.
    offloaded_job()
    race(a_large=True, b_starts_after="after-call.s3.PutObject", a_waits_before="before-call.dynamodb.UpdateItem")
    marker, found = final_job()
    assert marker == "A" and found == steps("A", True)  # A committed last, with its own steps


def test_an_object_uploaded_by_another_writer_after_an_inline_write_is_not_deleted(atomic_aws):
    # A writes small steps inline over an offloaded job; before A deletes the old object, B
    # offloads large steps to the same key and commits: A must spare B's object, or B's job
    # would point at nothing (a dangling key) and B's acknowledged steps would be lost.
    offloaded_job()
    race(a_large=False, b_starts_after="after-call.dynamodb.UpdateItem", a_waits_before="before-call.s3.DeleteObject")
    marker, found = final_job()
    assert marker == "B" and found == steps("B", True)


def test_a_write_of_steps_changes_updated_at_even_within_the_millisecond_it_read(atomic_aws, monkeypatch):
    # Writers of steps are conditional on `updated_at` as read, so no write may leave it as it was.
    offloaded_job()
    stored = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "j"})["Item"]["updated_at"]
    monkeypatch.setattr("jobs.services.utc_now_iso", lambda: stored)  # the clock has not moved on
    record = job_update(job_id="j", execution_steps=steps("A", False))
    assert record.item["updated_at"] > stored and len(record.item["updated_at"]) == len(stored)
