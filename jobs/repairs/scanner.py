"""The stale-key scanner: DynamoDB Scans of the Jobs table and a listing of `jobs/` in S3, each
item and object handed to the kinds that read that source (`detect`; kinds.py decides what is a
finding). Recorded scans (scans.py) read the same way, page by page on workers, and give their
records to `detect` batch by batch; `stale_keys_scan` makes the whole read in this process, in
memory (the benchmark's scan section, and the reference the tests hold recorded scans to).

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
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial

from django.conf import settings

from core.errors import InvalidInput
from jobs.gateway import STEPS, STEPS_KEY, JobGateway, JobRecord
from jobs.steps_store import KEY_PREFIX, ExecutionStepsStore, key_names

from .findings import DEFAULT_MIN_ORPHAN_AGE, Finding
from .kinds import DEFAULT_KINDS, INLINE, KEYED, KINDS, KINDS_BY_NAME, OBJECTS, ScanContext

MAX_SEGMENTS = 64


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
    gateway_factory: Callable[[], JobGateway] = JobGateway,
) -> ScanReport:
    """The current findings of `kinds`, sorted (the same for any number of `segments`)."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise InvalidInput(f"Kinds are {', '.join(KINDS)}; got {', '.join(sorted(unknown)) or 'none'}.")
    if not 1 <= segments <= MAX_SEGMENTS:
        raise InvalidInput(f"segments must be between 1 and {MAX_SEGMENTS}.")
    if min_orphan_age < 0:
        raise InvalidInput("The minimum orphan age cannot be negative.")
    progress = progress or ScanProgress()
    sources = sources_of(kinds)
    findings: list[Finding] = []
    table_scans: dict[str, int] = {}
    objects_listed = 0
    scan = ScanContext(
        objects={},
        named=frozenset(),
        now=datetime.now(UTC),
        min_orphan_age=min_orphan_age,
        margin=settings.EXECUTION_STEPS_OFFLOAD_BYTES,
    )
    if sources & {KEYED, OBJECTS}:
        before = progress.items
        keyed = [
            record
            for part in _in_segments(segments, partial(_keyed, progress=progress), gateway_factory)
            for record in part
        ]
        table_scans["keys"] = progress.items - before
        objects = {stored.key: stored for stored in ExecutionStepsStore().list_objects(KEY_PREFIX)}
        objects_listed = len(objects)
        named = frozenset().union(*(key_names(record.item[STEPS_KEY]) for record in keyed))
        scan = replace(scan, objects=objects, named=named, now=datetime.now(UTC))
        findings += detect(KEYED, keyed, scan)
        findings += detect(OBJECTS, objects.values(), scan)
    if INLINE in sources:
        before = progress.items
        read = partial(_oversize, scan=scan, progress=progress)
        findings += [finding for part in _in_segments(segments, read, gateway_factory) for finding in part]
        table_scans["inline sizes"] = progress.items - before
    wanted = sorted((finding for finding in findings if finding.kind in kinds), key=lambda finding: finding.sort_key)
    return ScanReport(
        findings=wanted,
        kinds=tuple(kind for kind in KINDS if kind in kinds),
        table_scans=table_scans,
        objects_listed=objects_listed,
        seconds=time.monotonic() - progress.started,
    )


def sources_of(kinds: Collection[str]) -> set[str]:
    """What a scan for `kinds` reads: KEYED (items with a key), OBJECTS (the listing), INLINE."""
    return {KINDS_BY_NAME[kind].source for kind in kinds}


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


def _oversize(
    gateway: JobGateway, segment: int, total: int, *, scan: ScanContext, progress: ScanProgress
) -> list[Finding]:
    found = []
    for page in gateway.scan_inline(segment=segment, total_segments=total):
        # Only the findings are kept: whole items are dropped page by page.
        oversize = detect(INLINE, page.records, scan)
        progress.add(items=page.scanned, findings=len(oversize))
        found += oversize
    return found


def detect(source: str, subjects: Iterable, scan: ScanContext) -> list[Finding]:
    """Every finding that the kinds reading `source` detect in `subjects` (a live read's, or a
    batch of a recorded scan's, whose `scan` context holds just what that batch needs)."""
    detectors = [kind for kind in KINDS_BY_NAME.values() if kind.source == source]
    return [finding for subject in subjects for kind in detectors if (finding := kind.detect(subject, scan))]
