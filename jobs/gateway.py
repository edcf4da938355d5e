"""The Jobs table: the only code that calls DynamoDB for it."""

import json
from dataclasses import dataclass
from typing import Any

from core.dynamo.expressions import Condition, Update, all_of, contains, equals, exists, expression_kwargs, not_exists
from core.dynamo.gateway import Gateway
from core.dynamo.paging import Page, read_page
from core.tables import JOBS

STEPS = "execution_steps"
STEPS_KEY = "execution_steps_s3_key"
LOCATIONS = ("inline", "s3", "none")
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

    def key_condition(self) -> Condition:
        """True while the item's S3 key is still what this record read."""
        return equals(STEPS_KEY, self.steps_key) if STEPS_KEY in self.item else not_exists(STEPS_KEY)


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
        """One Scan request; the filters are FilterExpressions (a page may be short) and all of
        them are in the cursor's scope. Items come whole (lists show the inline step count, and
        DynamoDB cannot project "everything but the steps"), so DynamoDB's 1 MB page cap may
        make a page of jobs with large inline steps short too."""
        condition = all_of(
            *([equals("status", status)] if status else []),
            *([LOCATION_FILTERS[location]] if location else []),
            *([contains("job_id", id_contains)] if id_contains else []),
        )
        request = expression_kwargs(filter=condition) if condition is not None else {}
        scope = "jobs:" + json.dumps([status, location, id_contains])
        page = read_page(self.table, operation="scan", scope=scope, limit=limit, cursor=cursor, **request)
        return Page(items=[JobRecord(item) for item in page.items], next_cursor=page.next_cursor)

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
