"""The one stale-key scanner: DynamoDB Scans of the Jobs table and a listing of `jobs/` in S3.

Cost. The key scan filters on `attribute_exists(execution_steps_s3_key)` and projects the id,
the steps pair and `updated_at`: items without a key come back as nothing, offloaded items as a
few dozen bytes, and inline steps only where they sit next to a key (the `both_present`
findings, whose repair is conditional on the exact list). The listing of `jobs/` (1,000 keys per
request) gives every object's size, age and ETag, so dangling keys and orphans need no request
per item. `oversize_inline` is the exception: an item's byte size cannot be asked of DynamoDB
(`size()` of a list counts elements), so finding them reads every inline item whole; that scan
runs only when the kind is asked for.

Order. Keys are scanned before objects are listed: a writer uploads before it writes the key,
so any key the scan saw already has its object when the listing runs (no false dangling key
from an offload in flight). The reverse race (an upload whose key is not written yet) looks
like an orphan, which is why orphans are deleted only past a grace age, after a consistent
re-read of their job.

Parallel segments split the table (Segment/TotalSegments), each read in its own thread with its
own boto3 resource; findings are sorted, so they are the same for any number of segments.
"""

import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from django.conf import settings

from core.dynamo.item_size import item_size
from core.errors import InvalidInput
from jobs.gateway import STEPS, STEPS_KEY, JobGateway, JobRecord
from jobs.steps_store import KEY_PREFIX, ExecutionStepsStore, StoredObject, job_id_of_key, steps_key

from .findings import (
    BOTH_PRESENT,
    DANGLING_KEY,
    DEFAULT_KINDS,
    DEFAULT_MIN_ORPHAN_AGE,
    KINDS,
    ORPHAN_OBJECT,
    OVERSIZE_INLINE,
    Finding,
    ItemState,
    human_seconds,
    human_size,
    key_problem,
    names_nothing,
)

KEY_KINDS = frozenset({BOTH_PRESENT, DANGLING_KEY, ORPHAN_OBJECT})
MAX_SEGMENTS = 64
MAX_JOB_ID_BYTES = 2048  # DynamoDB's limit for a partition key value


@dataclass
class ScanProgress:
    """Running totals, safe to update from the segment threads; `report` is called on each page."""

    report: Callable[["ScanProgress"], None] | None = None
    items: int = 0
    findings: int = 0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rate(self) -> float:
        return self.items / max(time.monotonic() - self.started, 1e-6)

    def add(self, *, items: int, findings: int) -> None:
        with self._lock:
            self.items += items
            self.findings += findings
            if self.report is not None:
                self.report(self)


@dataclass(frozen=True)
class ScanReport:
    findings: list[Finding]
    kinds: tuple[str, ...]
    table_scans: dict[str, int]  # items read by each whole-table scan made ("keys", "inline sizes")
    objects_listed: int
    seconds: float

    @property
    def items_scanned(self) -> int:
        return max(self.table_scans.values(), default=0)

    def describe_scans(self) -> str:
        return " and ".join(f"{count:,} items for {name}" for name, count in self.table_scans.items()) or "no items"

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for finding in self.findings if finding.kind == kind) for kind in self.kinds}


def stale_keys_scan(
    *,
    kinds: Collection[str] = DEFAULT_KINDS,
    segments: int = 1,
    min_orphan_age: int = DEFAULT_MIN_ORPHAN_AGE,
    progress: ScanProgress | None = None,
    job_id: str | None = None,
    gateway_factory: Callable[[], JobGateway] = JobGateway,
    store: ExecutionStepsStore | None = None,
) -> ScanReport:
    """The current findings of `kinds`, sorted (the same for any number of `segments`). With
    `job_id` and without oversize_inline among `kinds`, that one job is still sized (a single
    read), so a job's own page can show its oversize finding."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise InvalidInput(f"Kinds are {', '.join(KINDS)}; got {', '.join(sorted(unknown)) or 'none'}.")
    if not 1 <= segments <= MAX_SEGMENTS:
        raise InvalidInput(f"segments must be between 1 and {MAX_SEGMENTS}.")
    if min_orphan_age < 0:
        raise InvalidInput("The minimum orphan age cannot be negative.")
    progress = progress or ScanProgress()
    store = store or ExecutionStepsStore()
    findings: list[Finding] = []
    table_scans: dict[str, int] = {}
    objects_listed = 0
    if KEY_KINDS & set(kinds):
        before = progress.items
        keyed = [
            record
            for part in _in_segments(segments, partial(_keyed, progress=progress), gateway_factory)
            for record in part
        ]
        table_scans["keys"] = progress.items - before
        objects = {stored.key: stored for stored in store.list_objects(KEY_PREFIX)}
        objects_listed = len(objects)
        findings += [finding for record in keyed if (finding := keyed_finding(record, objects)) is not None]
        referenced = {record.steps_key for record in keyed if isinstance(record.steps_key, str)}
        findings += orphan_findings(objects.values(), referenced, min_orphan_age, now=datetime.now(UTC))
    margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
    if OVERSIZE_INLINE in kinds:
        before = progress.items
        read = partial(_oversize, margin=margin, progress=progress)
        findings += [finding for part in _in_segments(segments, read, gateway_factory) for finding in part]
        table_scans["inline sizes"] = progress.items - before
    elif job_id and len(job_id.encode("utf-8")) <= MAX_JOB_ID_BYTES:
        record = gateway_factory().get(job_id)
        if record is not None and STEPS in record.item and STEPS_KEY not in record.item:
            findings += [finding for finding in [oversize_finding(record, margin)] if finding is not None]
    wanted = sorted(
        (finding for finding in findings if finding.kind in kinds or finding.kind == OVERSIZE_INLINE),
        key=lambda finding: finding.sort_key,
    )
    return ScanReport(
        findings=wanted,
        kinds=tuple(kind for kind in KINDS if kind in kinds),
        table_scans=table_scans,
        objects_listed=objects_listed,
        seconds=time.monotonic() - progress.started,
    )


def _in_segments(segments: int, read: Callable, gateway_factory: Callable[[], JobGateway]) -> list[list]:
    """Run `read(gateway, segment, total)` for each segment; in threads when there are several,
    each with its own gateway (boto3 resources are per thread)."""
    if segments == 1:
        return [read(gateway_factory(), 0, 1)]
    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="stale-key-scan") as pool:
        futures = [pool.submit(lambda n=n: read(gateway_factory(), n, segments)) for n in range(segments)]
        return [future.result() for future in futures]


def _keyed(gateway: JobGateway, segment: int, total: int, *, progress: ScanProgress) -> list[JobRecord]:
    records = []
    for page in gateway.scan_keyed(segment=segment, total_segments=total):
        progress.add(items=page.scanned, findings=sum(1 for record in page.records if STEPS in record.item))
        records += page.records
    return records


def _oversize(gateway: JobGateway, segment: int, total: int, *, margin: int, progress: ScanProgress) -> list[Finding]:
    found = []
    for page in gateway.scan_inline(segment=segment, total_segments=total):
        # Only the findings are kept: whole items are dropped page by page.
        oversize = [finding for record in page.records if (finding := oversize_finding(record, margin)) is not None]
        progress.add(items=page.scanned, findings=len(oversize))
        found += oversize
    return found


def keyed_finding(record: JobRecord, objects: dict[str, StoredObject]) -> Finding | None:
    """`both_present` or `dangling_key` for an item that has a key, or None when it is sound."""
    item = record.item
    key = item[STEPS_KEY]
    problem = key_problem(key)
    stored = objects.get(key) if problem is None else None
    blocked = problem if problem and not names_nothing(key) else None
    common = {
        "job_id": record.job_id,
        "s3_key": key if isinstance(key, str) else None,
        "object": stored,
        "state": ItemState.of(item),
        "blocked": blocked and f"{blocked}: not followed; repair it by hand",
    }
    if STEPS in item:
        steps = item[STEPS]
        count = len(steps) if isinstance(steps, list) else None
        inline = f"{count} inline steps" if count is not None else "inline steps (not a list)"
        if blocked:
            detail = f"{inline} next to a key that is not followed: {blocked}"
        elif problem:
            detail = f"{inline} next to a stale key ({problem}): the key will be removed"
        elif stored is None:
            detail = f"{inline} next to key {key}, which has no object: the key will be removed"
        else:
            detail = f"{inline} next to key {key} ({human_size(stored.size)} object): the key wins"
        return Finding(kind=BOTH_PRESENT, detail=detail, steps_count=count, **common)
    if blocked:
        return Finding(kind=DANGLING_KEY, detail=f"no inline steps and a key that is not followed: {blocked}", **common)
    if problem:
        return Finding(kind=DANGLING_KEY, detail=f"no inline steps and a stale key: {problem}", **common)
    if stored is None:
        return Finding(
            kind=DANGLING_KEY, detail=f"no object at {key} and no inline steps: the steps are lost", **common
        )
    return None


def orphan_findings(
    objects: Collection[StoredObject], referenced: set[str], min_orphan_age: int, *, now: datetime
) -> list[Finding]:
    """Steps objects (`jobs/{job_id}/execution_steps.json`) that no scanned item references.
    Other objects under jobs/ are not steps objects and are left alone."""
    found = []
    for stored in objects:
        job_id = job_id_of_key(stored.key)
        if job_id is None or stored.key in referenced:
            continue
        modified = stored.last_modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        young = (now - stored.last_modified).total_seconds() < min_orphan_age
        grace = f"; younger than the grace age ({human_seconds(min_orphan_age)}): kept for now" if young else ""
        detail = f"no job references this object ({human_size(stored.size)}, last modified {modified}){grace}"
        found.append(Finding(kind=ORPHAN_OBJECT, job_id=job_id, s3_key=stored.key, detail=detail, object=stored))
    return found


def oversize_finding(record: JobRecord, margin: int) -> Finding | None:
    size = item_size(record.item)
    if size <= margin:
        return None
    steps = record.inline_steps
    count = len(steps) if isinstance(steps, list) else None
    detail = f"{count} inline steps make the item {human_size(size)}, over the {human_size(margin)} offload margin"
    blocked = None
    try:
        steps_key(record.job_id)
    except InvalidInput as err:  # the id cannot name an S3 object
        blocked = err.detail
        detail = f"{detail}; {blocked}"
    return Finding(
        kind=OVERSIZE_INLINE,
        job_id=record.job_id,
        s3_key=None,
        detail=detail,
        state=ItemState.of(record.item),
        steps_count=count,
        item_size=size,
        blocked=blocked,
    )
