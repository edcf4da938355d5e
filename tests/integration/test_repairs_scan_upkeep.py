"""What the workers' maintenance does besides resuming a segment: a scan whose command stopped
before its segments started, the task rows of dead workers, a segment that keeps losing its
worker, and the pruning of old scans."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Scan, ScanFinding, ScanSegment
from jobs.repairs.kinds import KINDS
from jobs.repairs.scanner import stale_keys_scan
from jobs.repairs.scans import (
    MAX_SEGMENT_RUNS,
    scan_create,
    scan_findings,
    scan_latest_done,
    scan_start,
    scans_prune,
    scans_reclaim,
    segment_run,
)
from jobs.repairs.tasks import scan_listing_task, scan_segment_task
from tests.integration.test_repairs_scan import World
from tests.integration.test_repairs_scans import plant_big_table, run_worker_until_idle, scan_now

pytestmark = [pytest.mark.shared_db]


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the segment's code runs after it."""


def expire_leases(scan: Scan) -> None:
    ScanSegment.objects.filter(scan=scan).update(lease_until=timezone.now() - timedelta(seconds=1))


def task_rows(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


@pytest.mark.django_db(transaction=True)
def test_a_scan_whose_command_stopped_before_its_segments_started_is_finished_by_a_worker(aws):
    World().plant_each_kind()
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_create(origin="command", segments=2)  # the command stops here: no thread claims a segment
    assert scans_reclaim() == 0  # within the lease it was given to start them

    expire_leases(scan)
    assert scans_reclaim() == 2 and scans_reclaim() == 0  # each segment handed once
    run_worker_until_idle()

    scan.refresh_from_db()
    assert scan.status == Scan.DONE
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in live.findings]


@pytest.mark.django_db(transaction=True)
def test_the_task_row_of_a_worker_killed_mid_segment_is_marked_failed_and_the_resumed_one_succeeds(aws):
    plant_big_table(World())
    scan = scan_start(origin="api", segments=1)
    segment = scan.segment_set.get()
    (row,) = task_rows(scan_segment_task)
    row.claim("dead-worker")  # as the task engine's worker does before it runs the task

    def die_after_one_page(page):
        raise Killed

    with pytest.raises(Killed):
        segment_run(segment.pk, segment.owner, on_page=die_after_one_page)
    row.refresh_from_db()
    assert row.status == "RUNNING"  # nobody told the task engine

    expire_leases(scan)
    assert scans_reclaim() == 1
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path.endswith("WorkerLost")
    run_worker_until_idle()

    scan.refresh_from_db()
    assert scan.status == Scan.DONE
    assert [other.status for other in task_rows(scan_segment_task)] == ["FAILED", "SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_the_task_row_of_a_worker_that_died_while_listing_is_marked_failed(aws):
    World().plant_each_kind()
    scan = scan_start(origin="api", segments=1)
    segment = scan.segment_set.get()
    (row,) = task_rows(scan_segment_task)
    row.claim("dead-worker")
    # The last segment finished, claimed the listing, and its worker died while listing.
    ScanSegment.objects.filter(pk=segment.pk).update(status=ScanSegment.DONE)
    Scan.objects.filter(pk=scan.pk).update(
        status=Scan.RUNNING, listing_owner="dead-listing", listing_lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert scans_reclaim() == 1
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path.endswith("WorkerLost")
    run_worker_until_idle()

    scan.refresh_from_db()
    assert scan.status == Scan.DONE  # completed by the listing task it was handed to
    assert [other.status for other in task_rows(scan_listing_task)] == ["SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_a_segment_that_keeps_losing_its_worker_gives_up_its_scan(aws):
    scan = scan_start(origin="api", segments=2)
    first, second = scan.segment_set.order_by("number")
    Scan.objects.filter(pk=scan.pk).update(status=Scan.RUNNING)
    ScanSegment.objects.filter(pk=first.pk).update(status=ScanSegment.RUNNING, runs=MAX_SEGMENT_RUNS)
    expire_leases(scan)

    handed = scans_reclaim()

    scan.refresh_from_db()
    assert scan.status == Scan.FAILED and f"lost its worker {MAX_SEGMENT_RUNS} times" in scan.error
    assert handed == 0  # nor is the other segment of a failed scan handed on
    second.refresh_from_db()
    assert second.status == ScanSegment.PENDING


@pytest.mark.django_db(transaction=True)
def test_old_scans_are_pruned_keeping_the_newest_and_the_latest_completed(aws, settings):
    World().plant_each_kind()
    settings.REPAIR_SCANS_KEPT = 2
    done = [scan_now() for _ in range(3)]
    assert scans_prune() == 1
    assert not Scan.objects.filter(pk=done[0].pk).exists()
    assert not ScanFinding.objects.filter(scan_id=done[0].pk).exists()  # its findings went with it
    assert not ScanSegment.objects.filter(scan_id=done[0].pk).exists()

    failed = [scan_create(origin="api", segments=1) for _ in range(2)]
    Scan.objects.filter(pk__in=[scan.pk for scan in failed]).update(status=Scan.FAILED)
    running = scan_start(origin="api", segments=1)
    assert scans_prune() == 1  # two failed scans are the newest two: the latest completed one stays too
    assert list(Scan.objects.order_by("pk").values_list("pk", flat=True)) == [
        done[2].pk,
        *(scan.pk for scan in failed),
        running.pk,
    ]
    assert scan_latest_done() == done[2]
    assert scans_prune() == 0


@pytest.mark.django_db(transaction=True)
def test_pruning_deletes_the_task_rows_of_pruned_scans_only(aws, settings):
    World().plant_each_kind()
    settings.REPAIR_SCANS_KEPT = 1
    old = scan_start(origin="api", segments=1)
    run_worker_until_idle()
    new = scan_start(origin="api", segments=1)
    run_worker_until_idle()
    assert len(task_rows(scan_segment_task)) == 2

    assert scans_prune() == 1
    assert not Scan.objects.filter(pk=old.pk).exists() and Scan.objects.filter(pk=new.pk).exists()
    (kept,) = task_rows(scan_segment_task)
    assert kept.args_kwargs["args"][0] == new.segment_set.get().pk


@pytest.mark.django_db(transaction=True)
def test_a_scan_whose_last_segment_worker_died_before_claiming_the_listing_is_completed(aws):
    World().plant_each_kind()
    live = stale_keys_scan(kinds=KINDS)
    scan = scan_start(origin="api", segments=1)
    segment = scan.segment_set.get()
    (row,) = task_rows(scan_segment_task)
    row.claim("dead-worker")

    def die_before_the_listing(page):
        raise Killed  # the last page is recorded (done); the listing is never claimed

    with pytest.raises(Killed):
        segment_run(segment.pk, segment.owner, on_page=die_before_the_listing)
    segment.refresh_from_db()
    assert segment.status == ScanSegment.DONE and Scan.objects.get(pk=scan.pk).listing_owner == ""
    assert scans_reclaim() == 0  # within a lease of the segment's end: its worker may still claim it

    expire_leases(scan)
    assert scans_reclaim() == 1 and scans_reclaim() == 0
    row.refresh_from_db()
    assert row.status == "FAILED"
    run_worker_until_idle()

    scan.refresh_from_db()
    assert scan.status == Scan.DONE
    assert [f.as_json() for f in scan_findings(scan)] == [f.as_json() for f in live.findings]
