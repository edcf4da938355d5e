"""Recorded scans on moto's in-process mock: the same findings as a live read, every kind by
default, one read of the table, resumption from the recorded key after a lost worker, the task
engine's worker running them, and the schedule."""

import hashlib
import time

import pytest
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone

from core.dynamo.connection import watch_calls
from core.dynamo.stored_items import item_from_stored_text, stored_item_text
from jobs.gateway import STEPS_KEY, JobRecord
from jobs.models import ListedObject, Scan, ScanFinding, ScanNamedKey, ScannedItem, ScanSegment
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
from jobs.steps_store import StoredObject, steps_key
from tests.integration.test_repairs_scan import World, make_steps

pytestmark = [pytest.mark.shared_db]


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run's code runs after it (a BaseException, which the
    run's error handling does not catch)."""


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
    plant_big_table(World())
    settings.REPAIR_SCAN_LEASE_SECONDS = 0.3
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()
    handed = []

    def slow_page(page):
        if not handed:  # the first page: more follow, so the segment is still running
            time.sleep(1.0)  # over three leases long
            handed.append(scans_reclaim())

    segment_run(segment.pk, segment.owner, on_page=slow_page)
    scan.refresh_from_db()
    assert handed == [0] and scan.status == Scan.DONE  # the heartbeat renewed the lease meanwhile


def plant_many_objects(world: World, count: int) -> None:
    """Steps objects that no job names: more than one ListObjectsV2 page (1,000 keys) of orphans."""
    for number in range(count):
        world.put(f"jobs/listed-{number:04}/execution_steps.json", b"[]")


@pytest.mark.django_db(transaction=True)
def test_a_listing_whose_worker_died_is_resumed_after_its_last_recorded_key(aws):
    world = World()
    world.plant_each_kind()  # its objects sort before and after the planted ones: on both pages
    plant_many_objects(world, 1100)
    live = stale_keys_scan(kinds=KINDS)
    whole = scan_now()  # the same listing without interruption: the reference
    assert (whole.list_requests, whole.objects_listed) == (2, 1100 + 4)
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()

    def die_after_one_page(page):
        raise Killed

    with pytest.raises(Killed):
        segment_run(segment.pk, segment.owner, on_listing_page=die_after_one_page)
    scan.refresh_from_db()
    assert scan.status == Scan.RUNNING and not scan.listing_done
    assert (scan.list_requests, scan.objects_listed) == (1, 1000)
    # The page: jobs/both/... and the first 999 planted keys.
    assert scan.listing_last_key == "jobs/listed-0998/execution_steps.json"
    assert scans_reclaim() == 0  # the listing's lease still runs

    Scan.objects.filter(pk=scan.pk).update(listing_lease_until=timezone.now())  # the lease expires
    assert scans_reclaim() == 1 and scans_reclaim() == 0
    with watch_calls() as calls:
        run_worker_until_idle()
    assert calls == [("s3", "ListObjectsV2")]  # the second page only: the first is not listed again

    scan.refresh_from_db()
    assert scan.status == Scan.DONE
    assert (scan.list_requests, scan.objects_listed) == (whole.list_requests, whole.objects_listed)
    resumed = [f.as_json() for f in scan_findings(scan)]
    assert resumed == [f.as_json() for f in scan_findings(whole)] == [f.as_json() for f in live.findings]
    assert sum(1 for f in resumed if f["kind"] == "orphan_object") == 1100 + 1
    assert not ListedObject.objects.filter(scan=scan).exists() and not ScanNamedKey.objects.filter(scan=scan).exists()


@pytest.mark.django_db(transaction=True)
def test_findings_are_made_in_batches_that_hold_no_more_than_the_batch_size(aws, settings):
    settings.REPAIR_SCAN_BATCH = 3
    world = World()
    world.plant_each_kind()
    for number in range(5):
        world.offloaded(f"sound-{number}", make_steps(1))
        world.job(f"dangling-{number}", execution_steps_s3_key=steps_key(f"dangling-{number}"))
        world.put(steps_key(f"orphan-{number}"), make_steps(1))
    # Objects kept only by a job elsewhere in the table, which names them with a foreign key.
    world.put(steps_key("lonely"), make_steps(1))
    world.job("names-lonely", execution_steps_s3_key=steps_key("lonely"))
    world.put(steps_key("in-a-list"), make_steps(1))
    world.job("names-a-list", execution_steps_s3_key=["x", steps_key("in-a-list")])
    # Ids whose order SQL text collations get wrong: NUL, prefixes, characters past the BMP.
    # A key far longer than an index row may be, even compressed.
    long_key = "".join(hashlib.sha256(bytes([n])).hexdigest() for n in range(200))
    odd = {
        "a": "b",
        "a\x00": "a",
        "a\x00b": "",
        "ab": "a",
        "é": "z",
        "😀": "z",
        "\uffff": "z",
        "Z": "z",
        "long": long_key,
    }
    for job_id, key in odd.items():
        world.job(job_id, execution_steps_s3_key=key)
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()
    batches = []
    segment_run(segment.pk, segment.owner, on_batch=lambda subjects, context: batches.append((subjects, context)))

    scan.refresh_from_db()
    assert scan.status == Scan.DONE
    recorded = [f.as_json() for f in scan_findings(scan)]
    assert recorded == [f.as_json() for f in live.findings]
    assert [f["job_id"] for f in recorded if f["kind"] == "foreign_key"] == [
        "Z", "a", "a\x00", "ab", "long", "names-a-list", "names-lonely", "é", "\uffff", "😀"
    ]  # fmt: skip
    orphans = {f["s3_key"] for f in recorded if f["kind"] == "orphan_object"}
    assert orphans == {steps_key(f"orphan-{number}") for number in range(5)} | {steps_key("orphan")}
    # Bounded: no batch holds more than 3 subjects, 3 listed objects or 3 named keys.
    assert all(len(s) <= 3 and len(c.objects) <= 3 and len(c.named) <= 3 for s, c in batches)
    keyed = [c for s, c in batches if s and isinstance(s[0], JobRecord) and STEPS_KEY in s[0].item]
    listed = [c for s, c in batches if s and isinstance(s[0], StoredObject)]
    assert len(keyed) >= 7 and len(listed) >= 6
    # Each batch is given the listed objects its string keys name (sound-N, sound-offloaded, both,
    # lonely), and each batch of objects those of its keys some job names (in-a-list too).
    assert sum(len(c.objects) for c in keyed) == 5 + 3
    assert sum(len(c.named) for c in listed) == 5 + 4


@pytest.mark.django_db(transaction=True)
def test_findings_left_midway_by_a_dead_worker_are_made_again_once_not_twice(aws, settings):
    settings.REPAIR_SCAN_BATCH = 3
    world = World()
    world.plant_each_kind()
    for number in range(6):
        world.job(f"dangling-{number}", execution_steps_s3_key=steps_key(f"dangling-{number}"))
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()

    def die_once_findings_are_written(subjects, context):
        if ScanFinding.objects.filter(scan=scan).exists():
            raise Killed

    with pytest.raises(Killed):
        segment_run(segment.pk, segment.owner, on_batch=die_once_findings_are_written)
    Scan.objects.filter(pk=scan.pk).update(listing_lease_until=timezone.now())  # the lease expires
    assert scans_reclaim() == 1
    with watch_calls() as calls:
        run_worker_until_idle()
    assert calls == []  # the listing was done: only the findings are made again

    scan.refresh_from_db()
    assert scan.status == Scan.DONE and scan.findings_count == len(live.findings)
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in live.findings]


@pytest.mark.django_db
def test_object_keys_are_kept_exactly_and_dumped_as_text():
    key = "jobs/a\x00\ud800é😀/execution_steps.json"
    scan = scan_create(origin="api", segments=1)
    Scan.objects.filter(pk=scan.pk).update(listing_last_key=key)
    ListedObject.objects.create(scan=scan, key=key, size=1)
    assert Scan.objects.get(pk=scan.pk).listing_last_key == key
    assert ListedObject.objects.filter(scan=scan, key=key).get().stored_object().key == key
    dumped = serializers.serialize("json", [Scan.objects.get(pk=scan.pk)])
    (loaded,) = serializers.deserialize("json", dumped)
    assert loaded.object.listing_last_key == key


@pytest.mark.django_db(transaction=True)
def test_batches_of_recorded_items_stop_at_the_byte_bound(aws, settings):
    settings.REPAIR_SCAN_BATCH_BYTES = 500_000  # more than one oversize item (about 330 KB), not two
    world = World()
    world.plant_each_kind()
    for number in range(3):
        world.job(f"oversize-{number}", execution_steps=make_steps(40, output="x" * 8000))
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_create(origin="api", segments=1)
    segment = scan.segment_set.get()
    batches = []
    segment_run(segment.pk, segment.owner, on_batch=lambda subjects, context: batches.append(subjects))

    scan.refresh_from_db()
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in live.findings]
    records = [subjects for subjects in batches if isinstance(subjects[0], JobRecord)]
    inline = [subjects for subjects in records if STEPS_KEY not in subjects[0].item]
    keyed = [subjects for subjects in records if STEPS_KEY in subjects[0].item]
    assert [len(subjects) for subjects in inline] == [1, 1, 1, 1]  # one oversize item per batch
    assert [len(subjects) for subjects in keyed] == [3]  # small items share a batch
