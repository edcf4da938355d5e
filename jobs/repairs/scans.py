"""Recorded stale-key scans: what the repairs page and `GET /api/repairs/` show, made by workers.

A scan reads the Jobs table once, split into DynamoDB segments (Segment/TotalSegments) that run as
separate tasks on any worker (`run_worker`) or, for `repair_stale_keys`, in the command's threads.
Each page of a segment is recorded in one transaction: its counters, its `LastEvaluatedKey` and
the items the findings depend on (items with a key, projected as the key scan projects them, and
items over the offload margin) with the keys they name. A worker killed mid-segment therefore
leaves the segment at its last recorded page; once its lease expires, any worker's periodic
`scans_reclaim()` hands it to a new task, which resumes from that key.

While a worker runs a segment or the listing, a heartbeat thread renews its lease. When the last
segment is done, the listing of `jobs/` runs (after every key was read, as scanner.py requires)
under a lease of its own, recorded page by page in the same way and resumed after its last
recorded key. Then the findings are made in the database, in bounded memory: the recorded items
and objects are walked in batches (`REPAIR_SCAN_BATCH`), each batch given to the scanner's
detection with just the listed objects and named keys it needs (one query), so the findings are
those `stale_keys_scan` gives for a live read.
"""

import json
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.dynamo.item_size import item_size
from core.dynamo.stored_items import item_from_stored_text, stored_item_text
from core.errors import InvalidInput
from jobs.gateway import KEYED_PROJECTION, STEPS_KEY, JobGateway, JobRecord, ScanPage
from jobs.models import ListedObject, Scan, ScanFinding, ScanNamedKey, ScannedItem, ScanSegment
from jobs.steps_store import KEY_PREFIX, ExecutionStepsStore, ObjectPage, key_names, listable_key

from .findings import DEFAULT_MIN_ORPHAN_AGE, OVERSIZE_INLINE, Finding
from .kinds import INLINE, KEYED, KINDS, OBJECTS, ScanContext
from .scanner import MAX_SEGMENTS, detect, sources_of

logger = logging.getLogger(__name__)

# Pages are recorded one at a time per process: the command's segment threads read DynamoDB in
# parallel, but SQLite takes one writer at a time (and an in-memory one refuses a second at once).
_recording = threading.Lock()


class LeaseLost(Exception):
    """Another run holds this segment or listing now: stop without writing."""


# ---- starting, and reading what was recorded ----


def scan_create(
    *,
    origin: str,
    user=None,
    kinds: Collection[str] = KINDS,
    segments: int | None = None,
    min_orphan_age: int = DEFAULT_MIN_ORPHAN_AGE,
    schedule_slot: int | None = None,
) -> Scan:
    """A queued scan and its pending segments (nothing runs yet: see `scan_enqueue`, `scan_run_here`)."""
    segments = settings.REPAIR_SCAN_SEGMENTS if segments is None else segments
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise InvalidInput(f"Kinds are {', '.join(KINDS)}; got {', '.join(sorted(unknown)) or 'none'}.")
    if not 1 <= segments <= MAX_SEGMENTS:
        raise InvalidInput(f"segments must be between 1 and {MAX_SEGMENTS}.")
    with transaction.atomic():
        scan = Scan.objects.create(
            kinds=[kind for kind in KINDS if kind in kinds],
            segments=segments,
            min_orphan_age=min_orphan_age,
            started_by=user if user is not None and user.pk else None,
            origin=origin,
            schedule_slot=schedule_slot,
        )
        ScanSegment.objects.bulk_create(
            ScanSegment(scan=scan, number=number, owner=_token(), lease_until=_lease_end())
            for number in range(segments)
        )
    return scan


def scan_start(*, origin: str, user=None, **options) -> Scan:
    """Record a scan and queue its segments for the workers, in one transaction."""
    with transaction.atomic():
        scan = scan_create(origin=origin, user=user, **options)
        scan_enqueue(scan)
    return scan


def scan_enqueue(scan: Scan) -> None:
    from .tasks import scan_segment_task  # the tasks module imports this one

    for segment in scan.segment_set.all():
        scan_segment_task.enqueue(segment.pk, segment.owner)


def scan_latest_done() -> Scan | None:
    return Scan.objects.filter(status=Scan.DONE).order_by("-finished_at", "-pk").first()


def scan_findings(scan: Scan, *, kinds: Collection[str] | None = None, query: str = "") -> list[Finding]:
    """The findings of a recorded scan, in the scanner's order; `query`: part of a job id or key."""
    rows = ScanFinding.objects.filter(scan=scan)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    if query:
        rows = rows.filter(data__contains=stored_text_of(query))  # narrowed in SQL, then checked exactly
    findings = [Finding.from_dict(json.loads(row.data)) for row in rows.order_by("order", "pk")]
    return [finding for finding in findings if not query or query in finding.job_id or query in (finding.s3_key or "")]


def scan_progress(scan: Scan) -> dict:
    segments = list(scan.segment_set.all())
    return {
        "segments_done": sum(1 for segment in segments if segment.status == ScanSegment.DONE),
        "resumed": sum(max(segment.runs - 1, 0) for segment in segments),
    }


# ---- running ----


def scan_run_here(scan: Scan, *, on_page: Callable[[ScanPage], None] | None = None) -> Scan:
    """Run every segment in this process (one thread per segment), then the listing: the command's
    scan. A segment left unfinished here (the process was killed) is reclaimed by a worker."""
    segments = list(scan.segment_set.all())

    def run(segment: ScanSegment) -> None:
        try:
            segment_run(segment.pk, segment.owner, on_page=on_page)
        finally:
            connections.close_all()  # this thread's own connections

    if len(segments) == 1:
        segment_run(segments[0].pk, segments[0].owner, on_page=on_page)
    else:
        with ThreadPoolExecutor(max_workers=len(segments), thread_name_prefix="stale-key-scan") as pool:
            list(pool.map(run, segments))
    scan.refresh_from_db()
    return scan


def segment_run(
    segment_id: int,
    owner: str,
    *,
    on_page: Callable[[ScanPage], None] | None = None,
    on_listing_page: Callable[[ObjectPage], None] | None = None,
    on_batch: Callable[[list, ScanContext], None] | None = None,
) -> None:
    """Read one segment from its last recorded key, recording page by page; the last segment to
    finish runs the listing (`on_listing_page` and `on_batch` are handed to it). Returns quietly
    when the segment is no longer this run's."""
    claimed = ScanSegment.objects.filter(pk=segment_id, owner=owner, status=ScanSegment.PENDING).update(
        status=ScanSegment.RUNNING, lease_until=_lease_end(), runs=F("runs") + 1
    )
    if not claimed:
        return
    segment = ScanSegment.objects.select_related("scan").get(pk=segment_id)
    scan = segment.scan
    if scan.status not in (Scan.QUEUED, Scan.RUNNING):
        return
    Scan.objects.filter(pk=scan.pk, status=Scan.QUEUED).update(status=Scan.RUNNING, started_at=timezone.now())
    try:
        with _heartbeat(lambda: _renew_segment(segment.pk, owner)):
            _read_segment(segment, scan, owner, on_page)
        listing_owner = _claim_listing(scan.pk)
        if listing_owner:
            listing_run(scan.pk, listing_owner, on_page=on_listing_page, on_batch=on_batch)
    except LeaseLost:
        logger.info("Scan %s segment %s: lease lost, left to its new owner.", scan.pk, segment.number)
    except Exception as err:
        _fail(scan.pk, err)
        raise


def _read_segment(segment: ScanSegment, scan: Scan, owner: str, on_page) -> None:
    whole = OVERSIZE_INLINE in scan.kinds
    margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
    start_key = item_from_stored_text(segment.last_key) if segment.last_key else None
    pages = JobGateway().scan_steps(
        whole=whole, segment=segment.number, total_segments=scan.segments, start_key=start_key
    )
    for page in pages:
        kept = []
        named = set()
        read = 0
        for record in page.records:
            size = item_size(record.item)
            read += size
            if STEPS_KEY in record.item:
                projected = {name: record.item[name] for name in KEYED_PROJECTION if name in record.item}
                kept.append(ScannedItem(scan_id=scan.pk, read=ScannedItem.KEYED, item=stored_item_text(projected)))
                named |= {key for key in key_names(record.item[STEPS_KEY]) if listable_key(key)}
            elif size > margin:  # only these can be oversize_inline findings: the rest is dropped here
                kept.append(ScannedItem(scan_id=scan.pk, read=ScannedItem.INLINE, item=stored_item_text(record.item)))
        counters = {
            "items_scanned": F("items_scanned") + page.scanned,
            "bytes_read": F("bytes_read") + read,
            "requests": F("requests") + 1,
        }
        if page.capacity_units is not None:
            counters["capacity_units"] = Coalesce(F("capacity_units"), Value(0.0)) + page.capacity_units
        with _recording, transaction.atomic():
            held = ScanSegment.objects.filter(pk=segment.pk, owner=owner, status=ScanSegment.RUNNING).update(
                last_key=stored_item_text(page.last_key) if page.last_key else "",
                lease_until=_lease_end(),
                **({"status": ScanSegment.DONE} if page.last_key is None else {}),
                **counters,
            )
            if not held:
                raise LeaseLost
            Scan.objects.filter(pk=scan.pk).update(**counters)
            ScannedItem.objects.bulk_create(kept)
            ScanNamedKey.objects.bulk_create(ScanNamedKey(scan_id=scan.pk, key=key) for key in named)
        if on_page is not None:
            on_page(page)


def _renew_segment(segment_id: int, owner: str) -> bool:
    return bool(
        ScanSegment.objects.filter(pk=segment_id, owner=owner, status=ScanSegment.RUNNING).update(
            lease_until=_lease_end()
        )
    )


def _renew_listing(scan_id: int, owner: str) -> bool:
    return bool(Scan.objects.filter(pk=scan_id, listing_owner=owner).update(listing_lease_until=_lease_end()))


@contextmanager
def _heartbeat(renew: Callable[[], bool]) -> Iterator[None]:
    """Renew a lease every third of its length while the block runs, so that a live worker keeps
    its work however slow one AWS request is; only a dead (or frozen) worker lets it expire."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.REPAIR_SCAN_LEASE_SECONDS / 3):
                with _recording:
                    if not renew():
                        return  # taken over: the block finds out at its next conditional write
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name="scan-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _claim_listing(scan_id: int) -> str | None:
    """The listing's token when this run is the one to list (every segment is done), else None."""
    token = _token()
    unfinished = ScanSegment.objects.filter(scan_id=OuterRef("pk")).exclude(status=ScanSegment.DONE)
    # One conditional UPDATE: of segments finishing at once, exactly one claims the listing.
    with _recording:
        won = (
            Scan.objects.filter(pk=scan_id, status=Scan.RUNNING, listing_owner="")
            .exclude(Exists(unfinished))
            .update(listing_owner=token, listing_lease_until=_lease_end())
        )
    return token if won else None


def listing_run(
    scan_id: int,
    owner: str,
    *,
    on_page: Callable[[ObjectPage], None] | None = None,
    on_batch: Callable[[list, ScanContext], None] | None = None,
) -> None:
    """List jobs/ (from where a run before this one stopped), make the findings from the recorded
    items and the listing, and complete the scan. `on_page` is called after each listing page is
    recorded, `on_batch` with each batch the detection is given."""
    scan = Scan.objects.get(pk=scan_id)
    if scan.listing_owner != owner or scan.status != Scan.RUNNING:
        return
    try:
        with _heartbeat(lambda: _renew_listing(scan_id, owner)):
            if sources_of(scan.kinds) & {KEYED, OBJECTS} and not scan.listing_done:
                _list_objects(scan, owner, on_page)
            findings_count = _make_findings(scan, owner, on_batch)
        with _recording, transaction.atomic():
            done = Scan.objects.filter(pk=scan_id, listing_owner=owner, status=Scan.RUNNING).update(
                status=Scan.DONE, finished_at=timezone.now(), findings_count=findings_count
            )
            if not done:
                raise LeaseLost
            for model in (ScannedItem, ScanNamedKey, ListedObject):  # served their purpose
                model.objects.filter(scan_id=scan_id).delete()
    except LeaseLost:
        logger.info("Scan %s listing: lease lost, left to its new owner.", scan_id)
    except Exception as err:
        _fail(scan_id, err)
        raise


def _list_objects(scan: Scan, owner: str, on_page) -> None:
    """Record the listing page by page: each page's objects, its last key and the counters in one
    transaction, on condition that this run still owns the listing."""
    last_key = scan.listing_last_key
    for page in ExecutionStepsStore().list_pages(KEY_PREFIX, start_after=last_key):
        last_key = page.objects[-1].key if page.objects else last_key
        with _recording, transaction.atomic():
            held = Scan.objects.filter(pk=scan.pk, listing_owner=owner, status=Scan.RUNNING).update(
                listing_last_key=last_key,
                listing_done=not page.more,
                list_requests=F("list_requests") + 1,
                objects_listed=F("objects_listed") + len(page.objects),
                listing_lease_until=_lease_end(),
            )
            if not held:
                raise LeaseLost
            ListedObject.objects.bulk_create(
                ListedObject(scan_id=scan.pk, key=o.key, size=o.size, last_modified=o.last_modified, etag=o.etag or "")
                for o in page.objects
            )
        if on_page is not None:
            on_page(page)


# ---- the findings, from the record, in bounded memory ----


def _make_findings(scan: Scan, owner: str, on_batch) -> int:
    """Give the scanner's detection the recorded items and objects batch by batch, and record the
    findings of each batch, on condition that this run still owns the listing. Starts over if a
    run before this one stopped midway. Returns the number of findings."""
    with _recording, transaction.atomic():
        _hold_listing(scan.pk, owner)
        ScanFinding.objects.filter(scan=scan).delete()  # a stopped run's, if any
    context = ScanContext(
        objects={},
        named=frozenset(),
        now=datetime.now(UTC),
        min_orphan_age=scan.min_orphan_age,
        margin=settings.EXECUTION_STEPS_OFFLOAD_BYTES,
    )
    sources = sources_of(scan.kinds)
    batches = []
    if sources & {KEYED, OBJECTS}:
        batches += [_keyed_batches(scan, context), _object_batches(scan, context)]
    if INLINE in sources:
        batches.append(_inline_batches(scan, context))
    count = 0
    for source, subjects, batch_context in (batch for walk in batches for batch in walk):
        if on_batch is not None:
            on_batch(subjects, batch_context)
        found = [finding for finding in detect(source, subjects, batch_context) if finding.kind in scan.kinds]
        if not found:
            continue
        with _recording, transaction.atomic():
            _hold_listing(scan.pk, owner)
            ScanFinding.objects.bulk_create(
                ScanFinding(scan=scan, order=finding.order_bytes, kind=finding.kind, data=json.dumps(finding.to_dict()))
                for finding in found
            )
        count += len(found)
    return count


def _keyed_batches(scan: Scan, context: ScanContext) -> Iterator[tuple[str, list, ScanContext]]:
    """Items with a key, each batch with the listed objects its string keys name."""
    for rows in _batches(ScannedItem.objects.filter(scan=scan, read=ScannedItem.KEYED), text="item"):
        records = [JobRecord(item_from_stored_text(row.item)) for row in rows]
        keys = [key for record in records if isinstance(key := record.item[STEPS_KEY], str) and listable_key(key)]
        listed = ListedObject.objects.filter(scan=scan, key__in=keys) if keys else []
        yield KEYED, records, replace(context, objects={row.key: row.stored_object() for row in listed})


def _object_batches(scan: Scan, context: ScanContext) -> Iterator[tuple[str, list, ScanContext]]:
    """Listed objects, each batch with those of its keys that some job names."""
    for rows in _batches(ListedObject.objects.filter(scan=scan)):
        named = ScanNamedKey.objects.filter(scan=scan, key__in=[row.key for row in rows]).values_list("key", flat=True)
        yield OBJECTS, [row.stored_object() for row in rows], replace(context, named=frozenset(named))


def _inline_batches(scan: Scan, context: ScanContext) -> Iterator[tuple[str, list, ScanContext]]:
    """Items over the offload margin without a key."""
    for rows in _batches(ScannedItem.objects.filter(scan=scan, read=ScannedItem.INLINE), text="item"):
        yield INLINE, [JobRecord(item_from_stored_text(row.item)) for row in rows], context


def _batches(rows: QuerySet, *, text: str | None = None) -> Iterator[list]:
    """`rows` by primary key, `REPAIR_SCAN_BATCH` at a time, each batch from where the one before
    ended, so no more than a batch is ever loaded. With `text` (a column of stored items, which may
    be 400 KB each), a batch also stops before its `text` exceeds `REPAIR_SCAN_BATCH_BYTES` (a
    first query reads the lengths only); it holds at least one row."""
    last = 0
    while True:
        following = rows.filter(pk__gt=last).order_by("pk")
        if text is None:
            batch = list(following[: settings.REPAIR_SCAN_BATCH])
        else:
            lengths = following.values_list("pk", Length(text))[: settings.REPAIR_SCAN_BATCH]
            batch = list(rows.filter(pk__in=_within_bytes(lengths)).order_by("pk"))
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _within_bytes(lengths) -> list[int]:
    """The first of (pk, length) whose lengths add up to REPAIR_SCAN_BATCH_BYTES (at least one)."""
    kept, total = [], 0
    for pk, length in lengths:
        total += length
        if kept and total > settings.REPAIR_SCAN_BATCH_BYTES:
            break
        kept.append(pk)
    return kept


def _hold_listing(scan_id: int, owner: str) -> None:
    """Renew the listing's lease, or raise LeaseLost when another run owns it now."""
    if not _renew_listing(scan_id, owner):
        raise LeaseLost


def _fail(scan_id: int, err: Exception) -> None:
    message = str(getattr(err, "detail", None) or err or type(err).__name__).replace("\x00", "")
    Scan.objects.filter(pk=scan_id, status__in=(Scan.QUEUED, Scan.RUNNING)).update(
        status=Scan.FAILED, finished_at=timezone.now(), error=message[:2000]
    )


# ---- recovery, pruning and schedule (each worker runs these periodically: see run_worker) ----

MAX_SEGMENT_RUNS = 5  # a segment whose worker died this many times is given up, with its scan


class WorkerLost(Exception):
    """Recorded on the task row of a worker that stopped mid-task (its lease expired)."""


def scans_reclaim() -> int:
    """Hand each segment or listing whose lease expired (its worker died or hangs) to a new task,
    which resumes it, and mark the dead worker's task row failed. A segment not claimed within a
    lease of its creation (a command stopped before it started its threads, or a task lost), and a
    listing not claimed within a lease of the last segment's end, are handed over too. Conditional
    on the expired owner, so concurrent reclaimers hand each one once."""
    from .tasks import scan_listing_task, scan_segment_task

    now = timezone.now()
    handed = 0
    expired = ScanSegment.objects.filter(status=ScanSegment.RUNNING, lease_until__lt=now, scan__status=Scan.RUNNING)
    # A new segment has one lease to be claimed; one handed over here waits for its task (no lease).
    never_started = ScanSegment.objects.filter(
        status=ScanSegment.PENDING, lease_until__lt=now, scan__status__in=(Scan.QUEUED, Scan.RUNNING)
    )
    for segment in [*expired, *never_started]:
        if segment.runs >= MAX_SEGMENT_RUNS:
            _fail(
                segment.scan_id,
                WorkerLost(f"Segment {segment.number} lost its worker {segment.runs} times; the scan was given up."),
            )
            continue
        token = _token()
        with transaction.atomic():
            live = ScanSegment.objects.filter(scan__status__in=(Scan.QUEUED, Scan.RUNNING))
            if live.filter(pk=segment.pk, owner=segment.owner, status=segment.status).update(
                status=ScanSegment.PENDING, owner=token, lease_until=None
            ):
                _abandon_task_rows(scan_segment_task, [segment.pk, segment.owner])
                scan_segment_task.enqueue(segment.pk, token)
                handed += 1
    expired_listings = Scan.objects.filter(status=Scan.RUNNING, listing_lease_until__lt=now).exclude(listing_owner="")
    # Every segment done a lease ago and no listing claimed: the last segment's worker died between
    # recording its last page and claiming the listing.
    segments = ScanSegment.objects.filter(scan_id=OuterRef("pk"))
    unclaimed = (
        Scan.objects.filter(status=Scan.RUNNING, listing_owner="")
        .exclude(Exists(segments.exclude(status=ScanSegment.DONE)))
        .exclude(Exists(segments.filter(lease_until__gte=now)))
    )
    for scan in [*expired_listings, *unclaimed]:
        token = _token()
        with transaction.atomic():
            if Scan.objects.filter(pk=scan.pk, listing_owner=scan.listing_owner).update(
                listing_owner=token, listing_lease_until=_lease_end()
            ):
                # The listing ran in the task of the last segment to finish, or in a listing task.
                done = scan.segment_set.filter(status=ScanSegment.DONE)
                for segment in done.values_list("pk", "owner"):
                    _abandon_task_rows(scan_segment_task, list(segment))
                _abandon_task_rows(scan_listing_task, [scan.pk, scan.listing_owner])
                scan_listing_task.enqueue(scan.pk, token)
                handed += 1
    return handed


def _abandon_task_rows(task, args: list) -> None:
    """Mark failed the task engine's RUNNING rows of `task` called with `args`: their worker stopped
    without finishing them (a row of a worker that is only slow is set again when it finishes)."""
    for row in DBTaskResult.objects.running().filter(task_path=task.module_path):
        if row.args_kwargs.get("args") == args:
            row.set_failed(WorkerLost("The worker stopped before the task finished; another worker resumed it."))


def scans_prune() -> int:
    """Delete finished scans past the newest `REPAIR_SCANS_KEPT` (with their segments, records and
    findings; never the latest completed one), and the task rows that finished before the oldest
    scan kept was started. Returns the number of scans deleted."""
    finished = Scan.objects.filter(status__in=(Scan.DONE, Scan.FAILED)).order_by("-created_at", "-pk")
    kept = list(finished.values_list("pk", "created_at")[: settings.REPAIR_SCANS_KEPT])
    if len(kept) < settings.REPAIR_SCANS_KEPT:
        return 0
    latest = scan_latest_done()
    old = finished.filter(created_at__lte=kept[-1][1]).exclude(pk__in=[pk for pk, _ in kept])
    if latest is not None:
        old = old.exclude(pk=latest.pk)
    deleted = old.count()
    if deleted:
        old.delete()
        DBTaskResult.objects.finished().filter(finished_at__lt=kept[-1][1]).delete()
    return deleted


def scans_schedule() -> Scan | None:
    """Start the scheduled scan of the current period (`REPAIR_SCAN_SCHEDULE_SECONDS`; 0: off).
    Each period has one slot, unique in the database, so of many workers one starts it."""
    period = settings.REPAIR_SCAN_SCHEDULE_SECONDS
    if period <= 0:
        return None
    slot = int(timezone.now().timestamp() // period)
    if Scan.objects.filter(schedule_slot=slot).exists():
        return None
    try:
        return scan_start(origin="schedule", schedule_slot=slot)
    except IntegrityError:  # another worker started it
        return None


# ---- small parts ----


def _token() -> str:
    return uuid.uuid4().hex


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.REPAIR_SCAN_LEASE_SECONDS)


def stored_text_of(text: str) -> str:
    """`text` as it appears inside the ASCII JSON of a stored finding."""
    return json.dumps(text)[1:-1]
