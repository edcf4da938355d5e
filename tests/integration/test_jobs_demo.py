from django.conf import settings

from core.dynamo.item_size import item_size
from jobs import demo
from jobs.gateway import JobGateway
from jobs.services import job_detail, job_stale_key
from jobs.steps_store import ExecutionStepsStore, job_id_of_key


def snapshot():
    items = JobGateway().table.scan()["Items"]
    for item in items:
        item.pop("updated_at")  # set by the service at each run
    return sorted(items, key=lambda item: item["job_id"])


def test_seed_plants_every_kind_and_is_idempotent(aws):
    demo.seed()
    first = snapshot()
    demo.seed()
    assert snapshot() == first
    assert len(first) == 13

    details = {item["job_id"]: job_detail(job_id=item["job_id"]) for item in first}
    stale = {job_id: job_stale_key(record=d.record, steps=d.steps) for job_id, d in details.items()}
    assert {kind for kind in stale.values() if kind} == {
        "both_present",
        "dangling_key",
        "foreign_key",
        "oversize_inline",
    }
    oversize = details["job_demo_oversize_inline"].record.item
    assert settings.EXECUTION_STEPS_OFFLOAD_BYTES < item_size(oversize) < 400_000

    locations = {job_id: d.steps.location for job_id, d in details.items()}
    assert locations["job_demo_offloaded"] == locations["job_demo_gzip"] == "s3"
    assert locations["job_demo_completed"] == "inline" and locations["job_demo_pending"] == "none"
    assert len(details["job_demo_gzip"].steps.steps) == 30
    assert details["job_demo_unreadable"].steps.error

    referenced = {d.steps.s3_key for d in details.values()}
    orphans = [o.key for o in ExecutionStepsStore().list_objects() if o.key not in referenced]
    assert [job_id_of_key(key) for key in orphans] == ["job_demo_orphan_object"]
