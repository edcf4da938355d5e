"""The scan's units of work on the task engine (Django's Tasks API): one task per segment, and the
listing of jobs/ when a lease had to be reclaimed (normally the last segment lists in its own task)."""

from django_tasks import task

from .scans import listing_run, segment_run


@task()
def scan_segment_task(segment_id: int, owner: str) -> None:
    segment_run(segment_id, owner)


@task()
def scan_listing_task(scan_id: int, owner: str) -> None:
    listing_run(scan_id, owner)
