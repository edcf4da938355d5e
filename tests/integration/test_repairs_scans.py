"""Recorded scans on moto's in-process mock: the same findings as a live read, every kind by
default, one read of the table, resumption from the recorded key after a lost worker, the task
engine's worker running them, and the schedule."""

import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.dynamo.connection import watch_calls
from core.dynamo.stored_items import item_from_stored_text, stored_item_text
from jobs.models import Scan, ScanFinding, ScannedItem, ScanSegment
from jobs.repairs.kinds import KINDS
from jobs.repairs.scanner import stale_keys_scan
from jobs.repairs.scans import (
    scan_create,
    scan_findings,
    scan_latest_done,
    scan_run_here,
    scan_start,
    scans_reclaim,
    scans_schedule,
    segment_run,
)
from tests.integration.test_repairs_scan import World, make_steps

pytestmark = [pytest.mark.shared_db]


def scan_now(**options) -> Scan:
    """A scan recorded in this process, as `repair_stale_keys` makes one."""
    return scan_run_here(scan_create(origin="command", segments=options.pop("segments", 1), **options))


def run_worker_until_idle() -> None:
    """The task engine's own worker, in this process, until the queue is empty."""
    call_command("run_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def plant_big_table(world: World, count: int = 24) -> None:
    """Items of about 100 KB (moto's Scan pages stop at 1 MB): several pages per segment."""
    for number in range(count):
        world.job(f"big-{number:03}", execution_steps=make_steps(12, output="y" * 8000))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("segments", [1, 3])
def test_a_recorded_scan_finds_what_a_live_read_finds_every_kind_by_default(aws, segments):
    world = World()
    world.plant_each_kind()
    world.job("odd", execution_steps_s3_key=b"\x00binary", updated_at={"nested": [b"\xff"]})
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_now(segments=segments)
    assert scan.status == Scan.DONE and scan.kinds == list(KINDS)
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in live.findings]
    assert {f.kind for f in scan_findings(scan)} >= {"both_present", "dangling_key", "orphan_object", "oversize_inline"}
    assert scan.items_scanned == len(world.items()) and scan.findings_count == len(live.findings)
    assert scan.requests == segments and scan.capacity_units is not None and scan.bytes_read > 0
    assert not ScannedItem.objects.filter(scan=scan).exists()  # dropped once the findings are made
    assert scan_latest_done() == scan


@pytest.mark.django_db
def test_a_scan_reads_the_table_once_for_every_kind(aws):
    World().plant_each_kind()
    with watch_calls() as calls:
        scan_now()
    assert calls == [("dynamodb", "Scan"), ("s3", "ListObjectsV2")]


@pytest.mark.django_db
def test_stored_items_keep_every_type():
    from decimal import Decimal

    from boto3.dynamodb.types import Binary

    item = {
        "job_id": "a\x00b",
        "n": Decimal("1.2345678901234567890123456789012345678E+125"),
        "b": Binary(b"\xff\x00"),
        "ss": {"x", "y"},
        "bs": {Binary(b"\x01")},
        "m": {"l": [None, True, {"deep": Binary(b"\x02")}]},
    }
    text = stored_item_text(item)
    assert text.isascii() and "\x00" not in text
    assert item_from_stored_text(text) == item


@pytest.mark.django_db(transaction=True)
def test_a_segment_whose_worker_died_is_resumed_from_its_recorded_key_not_restarted(aws):
    world = World()
    plant_big_table(world)
    world.job("dangling", execution_steps_s3_key="jobs/dangling/execution_steps.json")
    whole = scan_now()  # the same table read without interruption: the reference
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()

    class Killed(BaseException):
        """Stands for SIGKILL: nothing of the segment's code runs after it."""

    pages = []

    def die_after_two_pages(page):
        pages.append(page)
        if len(pages) == 2:
            raise Killed

    with pytest.raises(Killed):
        segment_run(segment.pk, segment.owner, on_page=die_after_two_pages)
    segment.refresh_from_db()
    assert segment.status == ScanSegment.RUNNING and segment.last_key and segment.requests == 2
    assert scans_reclaim() == 0  # the lease still runs: nobody takes the segment over

    ScanSegment.objects.filter(pk=segment.pk).update(lease_until=timezone.now())  # the lease expires
    assert scans_reclaim() == 1 and scans_reclaim() == 0  # handed over once
    run_worker_until_idle()

    scan.refresh_from_db()
    segment.refresh_from_db()
    assert scan.status == Scan.DONE and segment.runs == 2
    # Resumed: the pages read before the kill are not read again.
    assert (scan.items_scanned, scan.requests) == (whole.items_scanned, whole.requests)
    assert whole.requests >= 3
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in scan_findings(whole)]


@pytest.mark.django_db(transaction=True)
def test_a_run_that_lost_its_lease_writes_nothing_more(aws):
    world = World()
    plant_big_table(world)
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()
    stolen = []

    def lose_the_lease_after_one_page(page):
        if not stolen:
            ScanSegment.objects.filter(pk=segment.pk).update(owner="another-run")
            stolen.append(page)

    segment_run(segment.pk, segment.owner, on_page=lose_the_lease_after_one_page)
    segment.refresh_from_db()
    assert segment.requests == 1 and segment.status == ScanSegment.RUNNING  # the second page was not recorded


@pytest.mark.django_db(transaction=True)
def test_a_started_scan_runs_on_the_task_engine_worker(aws):
    World().plant_each_kind()
    scan = scan_start(origin="api", segments=2)
    assert scan.status == Scan.QUEUED
    run_worker_until_idle()
    scan.refresh_from_db()
    assert scan.status == Scan.DONE and scan.segment_set.filter(status=ScanSegment.DONE).count() == 2
    assert ScanFinding.objects.filter(scan=scan).count() == scan.findings_count == 4


@pytest.mark.django_db(transaction=True)
def test_aws_down_fails_the_scan_with_the_reason(aws, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    scan = scan_start(origin="api", segments=1)
    run_worker_until_idle()
    scan.refresh_from_db()
    assert scan.status == Scan.FAILED and "Cannot reach DynamoDB" in scan.error


@pytest.mark.django_db
def test_the_schedule_is_off_by_default_and_starts_one_scan_per_period(settings):
    assert scans_schedule() is None and not Scan.objects.exists()
    settings.REPAIR_SCAN_SCHEDULE_SECONDS = 3600
    first = scans_schedule()
    assert first is not None and first.origin == "schedule" and first.status == Scan.QUEUED
    assert scans_schedule() is None and Scan.objects.count() == 1  # the same period: not twice


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_keeps_its_segment_however_long_a_page_takes(aws, settings):
    World().plant_each_kind()
    settings.REPAIR_SCAN_LEASE_SECONDS = 0.3
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()
    handed = []

    def slow_page(page):
        time.sleep(1.0)  # over three leases long
        handed.append(scans_reclaim())

    segment_run(segment.pk, segment.owner, on_page=slow_page)
    scan.refresh_from_db()
    assert handed == [0] and scan.status == Scan.DONE  # the heartbeat renewed the lease meanwhile
