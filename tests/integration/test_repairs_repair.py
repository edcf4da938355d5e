"""The stale-key repairer against moto: each repair, what it refuses to do, and concurrent writers."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import boto3
import pytest
from boto3.dynamodb.types import Binary
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from core.dynamo.connection import dynamodb_table, watch_calls
from jobs.models import Job
from jobs.repairs.findings import BOTH_PRESENT, DANGLING_KEY, ORPHAN_OBJECT, OVERSIZE_INLINE
from jobs.repairs.kinds import KINDS
from jobs.repairs.plans import REMOVE_INLINE
from jobs.repairs.repairer import FAILED, REPAIRED, SKIPPED
from jobs.repairs.scanner import stale_keys_scan
from jobs.repairs.services import SYSTEM_USERNAME, stale_key_preview, stale_key_repair
from jobs.steps_store import steps_key
from tests.integration.test_repairs_scan import World, deny, make_steps

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]


@pytest.fixture
def world(aws):
    return World()


def find(kind: str, job_id: str, **scan_options):
    (finding,) = [
        f for f in stale_keys_scan(kinds=KINDS, **scan_options).findings if (f.kind, f.job_id) == (kind, job_id)
    ]
    return finding


def repair(finding, user, **options):
    return stale_key_repair(finding=finding, user=user, min_orphan_age=0, **options)


def worker_table():
    """The Jobs table as another service sees it: its own boto3 session and client."""
    return (
        boto3.session.Session()
        .resource("dynamodb", region_name=settings.AWS_DEFAULT_REGION)
        .Table(settings.DYNAMODB_JOBS_TABLE)
    )


@contextmanager
def just_before(client, operation: str, write: Callable[[], None]) -> Iterator[None]:
    """Run `write` (another writer's real request) once, right before this client's next `operation`."""
    pending = [write]

    def race(**_kwargs):
        while pending:
            pending.pop()()

    event = f"before-call.{client.meta.service_model.service_name}.{operation}"
    client.meta.events.register(event, race, unique_id="race")
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id="race")


def rerun_first_step(table, job_id: str) -> None:
    """A worker's in-place step update (it sets no updated_at)."""
    table.update_item(
        Key={"job_id": job_id},
        UpdateExpression="SET execution_steps[0].#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "running"},
    )


def test_each_kind_is_repaired_logged_and_a_second_run_finds_nothing(world, superuser):
    world.plant_each_kind()
    before = world.item("oversize")
    outcomes = [repair(finding, superuser) for finding in stale_keys_scan(kinds=KINDS, min_orphan_age=0).findings]
    assert [(o.finding.kind, o.status) for o in outcomes] == [
        (BOTH_PRESENT, REPAIRED),
        (DANGLING_KEY, REPAIRED),
        (ORPHAN_OBJECT, REPAIRED),
        (OVERSIZE_INLINE, REPAIRED),
    ]
    objects = world.objects()
    both = world.item("both")
    assert "execution_steps" not in both and both["execution_steps_s3_key"] == steps_key("both")
    assert json.loads(objects[steps_key("both")]) == make_steps(5)  # the key won
    assert world.item("dangling") == {"job_id": "dangling", "status": "completed", "updated_at": before["updated_at"]}
    assert steps_key("orphan") not in objects and "jobs/orphan/report.pdf" in objects
    oversize = world.item("oversize")
    assert "execution_steps" not in oversize and oversize["execution_steps_s3_key"] == steps_key("oversize")
    assert json.loads(objects[steps_key("oversize")]) == make_steps(40, output="x" * 8000)
    assert oversize["updated_at"] == before["updated_at"]  # where the steps live changed, not what they are
    assert stale_keys_scan(kinds=KINDS, min_orphan_age=0).findings == []

    entries = {entry.object_id: entry for entry in LogEntry.objects.all()}
    assert set(entries) == {"both", "dangling", "orphan", "oversize"}
    assert all(e.user == superuser and e.action_flag == CHANGE for e in entries.values())
    assert all(e.content_type == ContentType.objects.get_for_model(Job) for e in entries.values())
    assert "Stale key repair (dangling_key)" in entries["dangling"].change_message
    assert "the steps are lost" in entries["dangling"].change_message
    assert "REMOVE execution_steps (2 inline steps; S3 object jobs/both/execution_steps.json" in (
        entries["both"].change_message
    )


def test_a_dry_run_and_a_preview_change_nothing(world, capsys):
    world.plant_each_kind()
    items, objects = world.items(), world.objects()
    call_command("repair_stale_keys", "--kind", "all", "--min-orphan-age", "0")
    printed = capsys.readouterr().out
    assert "Dry run: nothing was changed" in printed and "Findings: 4" in printed
    items_read = f"read {len(items)} items (Scan requests: 1)"
    assert (
        f"{items_read} and listed {len(objects)} objects under s3://job-artifacts/jobs/ (List requests: 1)" in printed
    )
    plans = stale_key_preview(findings=stale_keys_scan(kinds=KINDS).findings, min_orphan_age=0)
    assert [plan.status for plan in plans] == ["ready"] * 4
    assert plans[0].change.startswith(
        "REMOVE execution_steps (2 inline steps; S3 object jobs/both/execution_steps.json"
    )
    assert plans[0].change.endswith("readable: 5 steps)")
    assert world.items() == items and world.objects() == objects
    assert not LogEntry.objects.exists()


def test_a_worker_write_between_scan_and_repair_is_not_overwritten(world, superuser):
    world.plant_each_kind()
    findings = {f.job_id: f for f in stale_keys_scan(kinds=KINDS, min_orphan_age=0).findings}
    worker = worker_table()
    worker.update_item(
        Key={"job_id": "both"}, UpdateExpression="SET execution_steps = :s", ExpressionAttributeValues={":s": []}
    )
    worker.update_item(
        Key={"job_id": "dangling"},
        UpdateExpression="SET #s = :s, updated_at = :u",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "running", ":u": "2025-11-07T11:00:00.000Z"},
    )
    rerun_first_step(worker, "oversize")  # same count, same updated_at: only the exact list tells
    items, objects = world.items(), world.objects()
    for job_id in ("both", "dangling", "oversize"):
        outcome = repair(findings[job_id], superuser)
        assert outcome.status == SKIPPED and "changed since the scan" in outcome.message
    assert world.items() == items and world.objects() == objects
    assert world.item("both")["execution_steps"] == []
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("job_id", ["both", "dangling"])
def test_a_worker_write_between_the_re_read_and_the_write_makes_the_write_fail(world, superuser, job_id):
    world.plant_each_kind()
    finding = find(BOTH_PRESENT if job_id == "both" else DANGLING_KEY, job_id)
    new_steps = make_steps(7)
    worker_write = lambda: worker_table().update_item(  # noqa: E731
        Key={"job_id": job_id}, UpdateExpression="SET execution_steps = :s", ExpressionAttributeValues={":s": new_steps}
    )
    ours = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).meta.client
    with just_before(ours, "UpdateItem", worker_write):
        outcome = repair(finding, superuser)
    assert outcome.status == SKIPPED and "changed since it was read" in outcome.message
    item = world.item(job_id)
    assert item["execution_steps"] == new_steps and item["execution_steps_s3_key"] == steps_key(job_id)


def test_an_offload_racing_a_worker_keeps_the_worker_write_and_drops_its_upload(world, superuser):
    world.plant_each_kind()
    finding = find(OVERSIZE_INLINE, "oversize")
    ours = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).meta.client
    with just_before(ours, "UpdateItem", lambda: rerun_first_step(worker_table(), "oversize")):
        outcome = repair(finding, superuser)
    assert outcome.status == SKIPPED
    assert world.item("oversize")["execution_steps"][0]["status"] == "running"
    assert "execution_steps_s3_key" not in world.item("oversize")
    assert steps_key("oversize") not in world.objects()  # the upload was undone


def test_an_offload_never_replaces_an_object_already_there(world, superuser):
    world.plant_each_kind()
    world.put(steps_key("oversize"), b"someone else's upload")
    outcome = repair(find(OVERSIZE_INLINE, "oversize"), superuser)
    assert outcome.status == SKIPPED and "never replaced" in outcome.message
    assert world.objects()[steps_key("oversize")] == b"someone else's upload"
    assert len(world.item("oversize")["execution_steps"]) == 40


def test_an_orphan_younger_than_the_grace_age_is_kept(world, superuser):
    world.put(steps_key("fresh"), make_steps(1))
    (finding,) = stale_keys_scan().findings
    outcome = stale_key_repair(finding=finding, user=superuser)  # the default grace age: one hour
    assert outcome.status == SKIPPED and "younger than the grace age (1 h)" in outcome.message
    assert steps_key("fresh") in world.objects()


def test_an_orphan_that_a_job_references_or_a_worker_rewrites_is_not_deleted(world, superuser):
    world.put(steps_key("late"), make_steps(1))
    world.put(steps_key("rewritten"), make_steps(1))
    world.put(steps_key("racing"), make_steps(1))
    findings = {f.job_id: f for f in stale_keys_scan(min_orphan_age=0).findings}
    world.job("late", execution_steps_s3_key=steps_key("late"))  # the worker wrote its key after uploading
    world.put(steps_key("rewritten"), make_steps(2))
    late, rewritten = repair(findings["late"], superuser), repair(findings["rewritten"], superuser)
    assert late.status == SKIPPED and "references jobs/late/execution_steps.json now" in late.message
    assert rewritten.status == SKIPPED and "rewritten since the scan" in rewritten.message

    store_client = World().s3
    worker = boto3.session.Session().client("s3", region_name=settings.AWS_DEFAULT_REGION)
    upload = lambda: worker.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=steps_key("racing"), Body=b"[]")  # noqa: E731
    with just_before(store_client, "DeleteObject", upload):
        racing = repair(findings["racing"], superuser)
    # The delete names the version that was checked: the worker's upload, a newer version, stays current.
    assert racing.status == REPAIRED and "version" in racing.message
    objects = world.objects()
    assert json.loads(objects[steps_key("rewritten")]) == make_steps(2) and objects[steps_key("racing")] == b"[]"
    assert steps_key("late") in objects


def test_objects_that_vanish_between_scan_and_repair(world, superuser):
    world.plant_each_kind()
    findings = {f.job_id: f for f in stale_keys_scan(kinds=KINDS, min_orphan_age=0).findings}
    world.s3.delete_object(Bucket=world.bucket, Key=steps_key("orphan"))
    world.s3.delete_object(Bucket=world.bucket, Key=steps_key("both"))
    gone = repair(findings["orphan"], superuser)
    assert gone.status == SKIPPED and "already gone" in gone.message
    previewed = repair(findings["both"], superuser, confirmed_action=REMOVE_INLINE)
    assert previewed.status == SKIPPED and "Not what the preview showed" in previewed.message
    assert world.item("both")["execution_steps"] == make_steps(2)
    now_missing = repair(findings["both"], superuser)  # the command: no preview to hold to
    assert now_missing.status == REPAIRED and "S3 object missing; 2 inline steps kept" in now_missing.message
    assert world.item("both")["execution_steps"] == make_steps(2) and "execution_steps_s3_key" not in world.item("both")


@pytest.mark.parametrize(
    ("job_id", "operation"),
    [("both", "GetObject"), ("dangling", "HeadObject"), ("orphan", "HeadObject")],
)
def test_a_403_from_s3_is_not_missing_and_nothing_is_dropped(world, superuser, job_id, operation):
    world.plant_each_kind()
    finding = next(f for f in stale_keys_scan(min_orphan_age=0).findings if f.job_id == job_id)
    items, objects = world.items(), world.objects()
    with deny(world.s3, operation):
        outcome = repair(finding, superuser)
    assert outcome.status == FAILED and "refused access" in outcome.message
    assert world.items() == items and world.objects() == objects


def test_an_unreadable_object_loses_to_the_inline_steps_and_is_left_for_the_orphan_check(world, superuser):
    world.put(steps_key("corrupt"), b"{not json")
    world.job("corrupt", execution_steps=make_steps(2), execution_steps_s3_key=steps_key("corrupt"))
    outcome = repair(find(BOTH_PRESENT, "corrupt"), superuser)
    assert outcome.status == REPAIRED and "unreadable: invalid JSON" in outcome.message
    assert world.item("corrupt")["execution_steps"] == make_steps(2)
    assert "execution_steps_s3_key" not in world.item("corrupt")
    assert [(f.kind, f.job_id) for f in stale_keys_scan(min_orphan_age=0).findings] == [(ORPHAN_OBJECT, "corrupt")]


def test_keys_outside_jobs_are_reported_never_followed_or_repaired(world, superuser):
    world.put("other/x.json", make_steps(1))
    world.job("outside", execution_steps_s3_key="other/x.json")
    world.job("escape", execution_steps=make_steps(1), execution_steps_s3_key="jobs/../other/x.json")
    items, objects = world.items(), world.objects()
    outcomes = [repair(finding, superuser) for finding in stale_keys_scan().findings]
    assert [o.status for o in outcomes] == [SKIPPED, SKIPPED]
    assert all("No automatic repair" in o.message and "repair it by hand" in o.message for o in outcomes)
    assert world.items() == items and world.objects() == objects


def test_a_null_key_next_to_inline_steps_is_removed(world, superuser):
    world.job("null-key", execution_steps=make_steps(1), execution_steps_s3_key=None)
    outcome = repair(find(BOTH_PRESENT, "null-key"), superuser)
    assert outcome.status == REPAIRED and world.item("null-key")["execution_steps"] == make_steps(1)
    assert "execution_steps_s3_key" not in world.item("null-key")


def test_the_command_applies_logs_as_the_system_user_and_reports_json(world, capsys):
    world.plant_each_kind()
    call_command("repair_stale_keys", "--apply", "--json", "--kind", "all", "--min-orphan-age", "0")
    document = json.loads(capsys.readouterr().out)
    assert document["repaired"] == 4
    assert [(f["kind"], f["job_id"]) for f in document["findings"]] == [
        (BOTH_PRESENT, "both"),
        (DANGLING_KEY, "dangling"),
        (ORPHAN_OBJECT, "orphan"),
        (OVERSIZE_INLINE, "oversize"),
    ]
    assert set(document["findings"][0]) == {"kind", "job_id", "s3_key", "detail"}
    users = {entry.user.username for entry in LogEntry.objects.all()}
    assert users == {SYSTEM_USERNAME} and not LogEntry.objects.first().user.is_active
    call_command("repair_stale_keys", "--json", "--kind", "all", "--min-orphan-age", "0")
    assert json.loads(capsys.readouterr().out) == {"findings": [], "repaired": 0}


def test_each_repair_costs_a_re_read_the_s3_check_and_one_write(world, superuser):
    world.plant_each_kind()
    calls_by_kind = {}
    for finding in stale_keys_scan(kinds=KINDS, min_orphan_age=0).findings:
        with watch_calls() as calls:
            assert repair(finding, superuser).status == REPAIRED
        calls_by_kind[finding.kind] = [operation for _service, operation in calls]
    assert calls_by_kind == {
        BOTH_PRESENT: ["GetItem", "GetObject", "UpdateItem"],
        DANGLING_KEY: ["GetItem", "HeadObject", "UpdateItem"],
        ORPHAN_OBJECT: ["HeadObject", "GetItem", "DeleteObject"],
        OVERSIZE_INLINE: ["GetItem", "HeadObject", "PutObject", "UpdateItem"],
    }


# ---- keys that are not the job's own --------------------------------------------------------------


def test_apply_both_present_keeps_inline_steps_next_to_another_jobs_key(world, capsys):
    world.offloaded("owner", make_steps(5))
    world.job("borrower", execution_steps=make_steps(2), execution_steps_s3_key=steps_key("owner"))
    call_command("repair_stale_keys", "--apply", "--json", "--kind", "all", "--min-orphan-age", "0")
    document = json.loads(capsys.readouterr().out)
    assert document["repaired"] == 0
    assert [(f["kind"], f["job_id"]) for f in document["findings"]] == [("foreign_key", "borrower")]
    borrower = world.item("borrower")
    assert borrower["execution_steps"] == make_steps(2) and borrower["execution_steps_s3_key"] == steps_key("owner")
    assert json.loads(world.objects()[steps_key("owner")]) == make_steps(5)


@pytest.mark.parametrize(
    "key",
    [Binary(b"jobs/named/execution_steps.json"), ["jobs/named/execution_steps.json"]],
    ids=["binary", "list"],
)
def test_apply_all_never_deletes_an_object_a_key_of_another_type_names(world, key):
    world.put(steps_key("named"), make_steps(3))
    world.job("named", execution_steps_s3_key=key)
    call_command("repair_stale_keys", "--apply", "--kind", "all", "--min-orphan-age", "0")
    assert json.loads(world.objects()[steps_key("named")]) == make_steps(3)
    assert world.item("named")["execution_steps_s3_key"] == key


def test_an_orphan_finding_is_deleted_only_at_a_steps_key_of_its_job(world, superuser):
    world.put(steps_key("orphan"), make_steps(1))
    world.put("secret/config.json", b"{}")
    world.put(steps_key("other"), make_steps(1))
    finding = find(ORPHAN_OBJECT, "orphan", min_orphan_age=0)
    for forged in (replace(finding, s3_key="secret/config.json"), replace(finding, s3_key=steps_key("other"))):
        outcome = repair(forged, superuser)
        assert outcome.status == SKIPPED and "is not job orphan's steps key: never deleted" in outcome.message
    assert {"secret/config.json", steps_key("other"), steps_key("orphan")} <= set(world.objects())


def test_an_orphan_younger_than_the_grace_age_is_kept_even_when_the_finding_says_otherwise(world, superuser):
    world.put(steps_key("fresh"), make_steps(1))
    finding = find(ORPHAN_OBJECT, "fresh", min_orphan_age=0)
    outcome = stale_key_repair(finding=replace(finding, object=None), user=superuser, min_orphan_age=3600)
    assert outcome.status == SKIPPED and "younger than the grace age" in outcome.message
    assert steps_key("fresh") in world.objects()


def test_an_oversize_offload_keeps_the_steps_numbers_exact(world, superuser):
    from decimal import Decimal

    steps = [{"step_order": n, "cost": Decimal("0.12345678901234567890123"), "output": "x" * 8000} for n in range(40)]
    world.job("exact", execution_steps=steps)
    finding = next(f for f in stale_keys_scan(kinds=[OVERSIZE_INLINE]).findings if f.job_id == "exact")
    assert repair(finding, superuser).status == REPAIRED
    stored = json.loads(world.objects()[steps_key("exact")], parse_float=Decimal)
    assert stored[0]["cost"] == Decimal("0.12345678901234567890123")
