"""The Jobs table: the only code that calls DynamoDB for it."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.dynamo.expressions import Condition, Update, all_of, contains, equals, exists, expression_kwargs, not_exists
from core.dynamo.gateway import Gateway
from core.dynamo.paging import Page, read_page
from core.tables import JOBS

STEPS = "execution_steps"
STEPS_KEY = "execution_steps_s3_key"
LOCATIONS = ("inline", "s3", "none")
# What the key scan reads of an item that has a key.
KEYED_PROJECTION = ("job_id", STEPS_KEY, STEPS, "updated_at")
# Where the steps live, as a filter; the S3 key wins when an older writer left both.
LOCATION_FILTERS = {
    "inline": exists(STEPS) & not_exists(STEPS_KEY),
    "s3": exists(STEPS_KEY),
    "none": not_exists(STEPS) & not_exists(STEPS_KEY),
}


@dataclass(frozen=True)
class JobRecord:
    """A Jobs item as read (boto3 types). Other services write these items too: any attribute
    may be missing, and unknown ones are kept as they are."""

    item: dict[str, Any]

    @property
    def job_id(self) -> str:
        return self.item["job_id"]

    @property
    def status(self) -> str | None:
        return self.item.get("status")

    @property
    def inline_steps(self) -> list | None:
        return self.item.get(STEPS)

    @property
    def steps_key(self) -> str | None:
        return self.item.get(STEPS_KEY)

    @property
    def steps_location(self) -> str:
        """Where the steps live; the S3 key wins when an older writer left both."""
        if STEPS_KEY in self.item:
            return "s3"
        return "inline" if STEPS in self.item else "none"

    @property
    def has_both(self) -> bool:
        return STEPS in self.item and STEPS_KEY in self.item

    def unchanged(self, *names: str) -> Condition:
        """True while each of these attributes is still what this record read (absent ones still absent)."""
        return all_of(*(equals(name, self.item[name]) if name in self.item else not_exists(name) for name in names))


@dataclass(frozen=True)
class ScanPage:
    """One Scan response: the items that passed the filter, how many were read to find them, the
    key to resume after it (None: the segment is done) and the read units DynamoDB reports."""

    records: list[JobRecord]
    scanned: int
    last_key: dict[str, Any] | None = None
    capacity_units: float | None = None


class JobGateway(Gateway):
    table_spec = JOBS

    def get(self, job_id: str) -> JobRecord | None:
        with self.errors():
            item = self.table.get_item(Key={"job_id": job_id}, ConsistentRead=True).get("Item")
        return None if item is None else JobRecord(item)

    def list_page(
        self,
        *,
        status: str | None = None,
        location: str | None = None,
        id_contains: str | None = None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[JobRecord]:
        """One page of jobs: one Scan unfiltered; with filters (FilterExpressions, all of them in
        the cursor's scope), Scans until the page is full or the request budget is spent (see
        core.dynamo.paging). Items come whole (lists show the inline step count, and DynamoDB
        cannot project "everything but the steps"), so DynamoDB's 1 MB page cap may make an
        unfiltered page of jobs with large inline steps short too."""
        condition = all_of(
            *([equals("status", status)] if status else []),
            *([LOCATION_FILTERS[location]] if location else []),
            *([contains("job_id", id_contains)] if id_contains else []),
        )
        request = expression_kwargs(filter=condition) if condition is not None else {}
        scope = "jobs:" + json.dumps([status, location, id_contains])
        page = read_page(
            self.table, operation="scan", scope=scope, limit=limit, key_names=(JOBS.key,), cursor=cursor, **request
        )
        return page.map(JobRecord)

    def write(self, job_id: str, update: Update, *, condition: Condition | None = None) -> JobRecord:
        """Apply `update` to an existing job (never creates one), only while `condition` holds.
        Raises ConditionFailed when the job is gone or changed."""
        guard = exists("job_id") if condition is None else exists("job_id") & condition
        with self.errors():
            response = self.table.update_item(
                Key={"job_id": job_id},
                ReturnValues="ALL_NEW",
                **expression_kwargs(update=update, condition=guard),
            )
        return JobRecord(response["Attributes"])

    # ---- stale-key scans (jobs.repairs): whole-table Scans, paged, optionally in parallel segments ----

    def scan_keyed(
        self, *, segment: int = 0, total_segments: int = 1, start_key: dict[str, Any] | None = None
    ) -> Iterator[ScanPage]:
        """Every item that has an `execution_steps_s3_key`, projected to its id, the steps pair and
        `updated_at`. Inline steps come back only where they sit next to a key: those items are
        the `both_present` findings, and their repair is conditional on the exact list."""
        return self._scan_pages(
            filter=exists(STEPS_KEY),
            projection=list(KEYED_PROJECTION),
            segment=segment,
            total_segments=total_segments,
            start_key=start_key,
        )

    def scan_inline(self, *, segment: int = 0, total_segments: int = 1) -> Iterator[ScanPage]:
        """Whole items that hold inline steps and no key: sizing an item needs all of it."""
        return self._scan_pages(
            filter=exists(STEPS) & not_exists(STEPS_KEY),
            projection=None,
            segment=segment,
            total_segments=total_segments,
        )

    def scan_steps(
        self, *, whole: bool, segment: int = 0, total_segments: int = 1, start_key: dict[str, Any] | None = None
    ) -> Iterator[ScanPage]:
        """One read of a segment for every kind at once, from `start_key` (a page's `last_key`):
        items with a key or inline steps, whole when `whole` (sizing an item needs all of it),
        otherwise only items with a key, projected as `scan_keyed` projects them."""
        if not whole:
            return self.scan_keyed(segment=segment, total_segments=total_segments, start_key=start_key)
        return self._scan_pages(
            filter=exists(STEPS) | exists(STEPS_KEY),
            projection=None,
            segment=segment,
            total_segments=total_segments,
            start_key=start_key,
        )

    def _scan_pages(
        self,
        *,
        filter: Condition,
        projection: list[str] | None,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None = None,
    ) -> Iterator[ScanPage]:
        request = expression_kwargs(filter=filter, projection=projection)
        request["ReturnConsumedCapacity"] = "TOTAL"
        if total_segments > 1:
            request.update(Segment=segment, TotalSegments=total_segments)
        if start_key:
            request["ExclusiveStartKey"] = start_key
        while True:
            with self.errors():
                response = self.table.scan(**request)
            last_key = response.get("LastEvaluatedKey")
            yield ScanPage(
                records=[JobRecord(item) for item in response.get("Items", [])],
                scanned=response.get("ScannedCount", 0),
                last_key=last_key,
                capacity_units=response.get("ConsumedCapacity", {}).get("CapacityUnits"),
            )
            if last_key is None:
                return
            request["ExclusiveStartKey"] = last_key
