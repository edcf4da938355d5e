"""The stale-key scan over the whole Jobs table with 1, 2 and 4 parallel segments: time, items
per second, requests and bytes received (Scan responses and the jobs/ listing), against a read
of every item whole, and whether the findings are the same for every segment count.

Bytes are counted on each segment thread's own DynamoDB client: the scanner takes a gateway
factory, called once in each segment's thread, and the factory attaches the meter to the client
of the gateway it builds.
"""

import time
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings

from core.dynamo.connection import dynamodb_table
from core.dynamo.item_size import item_size
from core.storage import s3_storage
from jobs.gateway import JobGateway
from jobs.repairs.scanner import stale_keys_scan

from .probes import ResponseBytes, response_bytes
from .stats import Spread

SEGMENT_COUNTS = (1, 2, 4)
PAGE_BYTES = 1024 * 1024  # DynamoDB reads at most 1 MB of items per Scan page, before any filter


@dataclass(frozen=True)
class TableRead:
    """Every item of the Jobs table read whole, as a scan without a projection does."""

    items: int
    item_bytes: int  # exact DynamoDB size of all items
    wire_bytes: int  # Scan response bodies
    requests: int
    seconds: float

    @property
    def aws_pages(self) -> int:
        """Scan requests DynamoDB itself would need for this table (moto pages differently)."""
        return max(1, -(-self.item_bytes // PAGE_BYTES))


@dataclass(frozen=True)
class ScanRun:
    segments: int
    seconds: float
    items: int  # items read by each table scan made
    table_scans: int
    scan_bytes: int
    scan_requests: int
    listing_bytes: int
    listing_requests: int
    findings: tuple[tuple, ...]


@dataclass(frozen=True)
class ScanRow:
    segments: int
    runs: list[ScanRun]
    table: TableRead

    @property
    def seconds(self) -> Spread:
        return Spread.of(run.seconds for run in self.runs)

    @property
    def items_per_second(self) -> Spread:
        return Spread.of(self.table.items / run.seconds for run in self.runs)

    @property
    def first(self) -> ScanRun:
        return self.runs[0]

    @property
    def bytes_share(self) -> float:
        return self.first.scan_bytes / self.table.wire_bytes


def read_table() -> TableRead:
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    items = item_bytes = requests = 0
    request: dict = {}
    start = time.perf_counter()
    with response_bytes(table.meta.client, operations="dynamodb.Scan") as meter:
        while True:
            response = table.scan(**request)
            requests += 1
            items += len(response["Items"])
            item_bytes += sum(item_size(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return TableRead(items, item_bytes, meter.bytes, requests, time.perf_counter() - start)


def scan_once(kinds: Collection[str], segments: int) -> ScanRun:
    scans = ResponseBytes("dynamodb.Scan")

    def metered_gateway() -> JobGateway:
        gateway = JobGateway()
        scans.attach(gateway.table.meta.client)
        return gateway

    with response_bytes(s3_storage().s3_client(), operations="s3.ListObjectsV2") as listing:
        start = time.perf_counter()
        report = stale_keys_scan(kinds=kinds, segments=segments, gateway_factory=metered_gateway)
        seconds = time.perf_counter() - start
    scans.detach()
    return ScanRun(
        segments=segments,
        seconds=seconds,
        items=report.items_scanned,
        table_scans=len(report.table_scans),
        scan_bytes=scans.bytes,
        scan_requests=scans.responses,
        listing_bytes=listing.bytes,
        listing_requests=listing.responses,
        findings=tuple(tuple(finding.as_json().items()) for finding in report.findings),
    )


def measure(
    table: TableRead, *, kinds: Collection[str], repeats: int, segment_counts: tuple[int, ...] = SEGMENT_COUNTS
) -> list[ScanRow]:
    return [
        ScanRow(segments, [scan_once(kinds, segments) for _ in range(repeats)], table) for segments in segment_counts
    ]


def findings_identical(rows: list[ScanRow]) -> bool:
    return len({run.findings for row in rows for run in row.runs}) == 1
