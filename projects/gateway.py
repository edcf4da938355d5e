"""The AgentProjects table: the only code that calls DynamoDB for it."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from core.dynamo.expressions import Update, all_of, contains, equals, exists, expression_kwargs
from core.dynamo.gateway import Gateway
from core.dynamo.paging import Page, read_page
from core.dynamo.retry import retry_on_conflict
from core.dynamo.values import to_dynamodb
from core.errors import ConditionFailed, NotFound
from core.tables import PROJECTS
from core.timestamps import utc_now_iso

from .snapshot import InvalidSnapshot, MalformedSnapshot, SnapshotReading, encode, read_snapshot, writable_document

KEY = PROJECTS.key
SNAPSHOT = "stages_snapshot"
UPDATED_AT = "updated_at"
MAX_KEY_BYTES = 2048  # DynamoDB's limit for a partition key value
# Every stage of a build shares the one snapshot attribute. A conditional write fails only when
# another writer's succeeded in between, so N writers at once need at most N attempts each.
SNAPSHOT_WRITE_ATTEMPTS = 20


@dataclass(frozen=True)
class ProjectRecord:
    """One AgentProjects item: every attribute as stored, and its stages_snapshot understood."""

    project_id: str
    item: dict[str, Any]
    snapshot: SnapshotReading

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "ProjectRecord":
        return cls(project_id=item[KEY], item=item, snapshot=read_snapshot(item.get(SNAPSHOT)))

    def text(self, name: str) -> str:
        """A top-level attribute for display ("" when absent)."""
        value = self.item.get(name)
        return "" if value is None else str(value)


def is_possible_key(project_id: object) -> bool:
    """Whether DynamoDB would accept `project_id` as a key at all (it refuses empty or oversize keys)."""
    return isinstance(project_id, str) and 0 < len(project_id.encode("utf-8")) <= MAX_KEY_BYTES


def project_not_found(project_id: str) -> NotFound:
    return NotFound(f"Project {project_id!r} does not exist.")


class ProjectsGateway(Gateway):
    table_spec = PROJECTS

    def get(self, project_id: str, *, consistent: bool = False) -> ProjectRecord | None:
        if not is_possible_key(project_id):
            return None
        with self.errors():
            item = self.table.get_item(Key={KEY: project_id}, ConsistentRead=consistent).get("Item")
        return None if item is None else ProjectRecord.from_item(item)

    def page(
        self,
        *,
        status: str | None = None,
        id_contains: str | None = None,
        limit: int,
        cursor: str | None = None,
        fields: list[str] | None = None,
    ) -> Page[ProjectRecord]:
        """One page of projects: one Scan, or with `status` or `id_contains` Scans until the page
        is full or the request budget is spent (core.dynamo.paging); `fields`, when given, are the
        only attributes read (the key is always among them)."""
        projection = sorted({KEY, *fields}) if fields else None
        condition = all_of(
            *([equals("status", status)] if status is not None else []),
            *([contains(KEY, id_contains)] if id_contains else []),
        )
        request = expression_kwargs(filter=condition, projection=projection)
        scope = "projects:" + json.dumps([status, id_contains, projection])
        page = read_page(
            self.table, operation="scan", scope=scope, limit=limit, key_names=(KEY,), cursor=cursor, **request
        )
        return page.map(ProjectRecord.from_item)

    def update_attributes(
        self, project_id: str, *, values: dict[str, Any], remove: Iterable[str] = ()
    ) -> ProjectRecord:
        """Set and remove top-level attributes of an existing project (never creates one).

        A blind write of the given attributes only: there is nothing read to be stale, and attributes
        other writers change meanwhile are left alone.
        """
        if not is_possible_key(project_id):
            raise project_not_found(project_id)
        update = Update()
        for name, value in values.items():
            update.set(name, value)
        for name in remove:
            update.remove(name)
        update.set(UPDATED_AT, utc_now_iso())
        try:
            return self._update(project_id, update, exists(KEY))
        except ConditionFailed:
            raise project_not_found(project_id) from None

    def modify_snapshot(self, project_id: str, change: Callable[[dict], dict]) -> ProjectRecord:
        """Read the project, apply `change` to its snapshot document, write it back in the same
        storage form, retrying from the read when another writer changed the snapshot meanwhile.

        The write is conditional on the whole stored `stages_snapshot` being what was read: the
        exact string for the JSON form, the map for the map form (DynamoDB compares maps by value,
        ignoring key order). Other writers know nothing of a version attribute, but any change they
        make to the snapshot, in either form, fails that condition, so nobody's update is lost.
        Conditioning on the changed paths only would not do: a writer who rewrites the whole
        string, or moves a stage, changes what our paths point at.
        """

        def attempt() -> ProjectRecord:
            record = self.get(project_id, consistent=True)
            if record is None:
                raise project_not_found(project_id)
            reading = record.snapshot
            if reading.missing:
                raise NotFound(f"Project {project_id!r} has no stages_snapshot, so it has no stages.")
            try:
                changed = change(writable_document(reading))
            except InvalidSnapshot as err:
                raise MalformedSnapshot(
                    f"The stages_snapshot of project {project_id!r} is malformed ({err}); "
                    "it cannot be changed until it is repaired."
                ) from None
            update = Update().set(SNAPSHOT, encode(changed, reading.form))
            update.set(UPDATED_AT, utc_now_iso())
            return self._update(project_id, update, equals(SNAPSHOT, reading.stored))

        return retry_on_conflict(
            attempt, what=f"The stages_snapshot of project {project_id!r}", attempts=SNAPSHOT_WRITE_ATTEMPTS
        )

    def put_many(self, items: Iterable[dict[str, Any]]) -> None:
        """Write whole items, replacing any with the same key (demo data)."""
        with self.errors(), self.table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=to_dynamodb(item))

    def _update(self, project_id: str, update: Update, condition) -> ProjectRecord:
        with self.errors():
            response = self.table.update_item(
                Key={KEY: project_id}, ReturnValues="ALL_NEW", **expression_kwargs(update=update, condition=condition)
            )
        return ProjectRecord.from_item(response["Attributes"])
