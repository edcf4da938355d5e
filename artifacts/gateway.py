"""The artifact registry table (`artifacts_metadata`): the only code that calls DynamoDB for it.

Lookups by type and by url use the `artifact_type-index` and `url-index` secondary indexes when
the table has them (learned once per process from one DescribeTable). A table created upstream
with its key only still works: the same lookups become a paged, filtered Scan, which reads until
its page is full or its request budget is spent (core.dynamo.paging), so a page may hold fewer
results than its limit while there is a next one.
"""

import json
from dataclasses import asdict, dataclass

from botocore.exceptions import ClientError

from core.dynamo.errors import error_code
from core.dynamo.expressions import Condition, Update, all_of, contains, equals, exists, expression_kwargs, not_exists
from core.dynamo.gateway import Gateway
from core.dynamo.paging import Page, read_page
from core.errors import ConditionFailed, NotFound, TableMissing, Unavailable
from core.tables import ARTIFACT_TYPE_INDEX, ARTIFACT_URL_INDEX, ARTIFACTS, IndexSpec

from .records import ArtifactRecord, LinkAttributes, record_from_item

MAX_KEY_BYTES = 2048  # DynamoDB's limit for a partition key value
BATCH_GET_ATTEMPTS = 3

# (endpoint, region, table) -> names of the table's ACTIVE secondary indexes, learned once per process.
_active_indexes: dict[tuple[str | None, str | None, str], frozenset[str]] = {}


def forget_indexes() -> None:
    """Make the next lookup ask DynamoDB again which indexes exist (after one was added)."""
    _active_indexes.clear()


def is_storable_key(artifact_id: object) -> bool:
    """Whether DynamoDB could hold an item under this key; any other id cannot exist."""
    return isinstance(artifact_id, str) and 0 < len(artifact_id.encode("utf-8")) <= MAX_KEY_BYTES


@dataclass(frozen=True)
class ArtifactFields(LinkAttributes):
    """The attributes our writes own, the JSON ones already serialized. A None is removed."""

    artifact_type: str
    url: str
    name_normalized: str
    artifact: str
    rating: str | None = None


class ArtifactGateway(Gateway):
    table_spec = ARTIFACTS

    def active_indexes(self) -> frozenset[str]:
        client = self.table.meta.client
        key = (client.meta.endpoint_url, client.meta.region_name, self.table.name)
        if key not in _active_indexes:
            with self.errors():
                description = client.describe_table(TableName=self.table.name)["Table"]
            _active_indexes[key] = frozenset(
                index["IndexName"]
                for index in description.get("GlobalSecondaryIndexes", [])
                if index.get("IndexStatus") == "ACTIVE"
            )
        return _active_indexes[key]

    # ---- reads ----

    def get(self, artifact_id: str) -> ArtifactRecord | None:
        if not is_storable_key(artifact_id):
            return None
        with self.errors():
            item = self.table.get_item(Key={"artifact_id": artifact_id}).get("Item")
        return None if item is None else record_from_item(item)

    def get_many(self, artifact_ids: set[str]) -> dict[str, ArtifactRecord]:
        """The records that exist among `artifact_ids` (at most 100), in one BatchGetItem."""
        ids = sorted(artifact_id for artifact_id in artifact_ids if is_storable_key(artifact_id))
        if not ids:
            return {}
        # The resource's client speaks Python values both ways, like the Table itself.
        request = {self.table.name: {"Keys": [{"artifact_id": artifact_id} for artifact_id in ids]}}
        found = {}
        for _ in range(BATCH_GET_ATTEMPTS):
            with self.errors():
                response = self.table.meta.client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self.table.name, []):
                found[str(item["artifact_id"])] = record_from_item(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise Unavailable(f"DynamoDB kept deferring reads from '{self.table.name}'. Retry later.")

    def page(
        self,
        *,
        artifact_type: str | None = None,
        url: str | None = None,
        name_query: str | None = None,
        cursor: str | None = None,
        limit: int,
    ) -> Page[ArtifactRecord]:
        """One page of the registry, filtered by exact type, exact url and a substring of
        `name_normalized` (each optional): one Query on an index that fits, or one Scan."""
        filters = {"artifact_type": artifact_type, "url": url, "name_query": name_query}
        index = self._index_for(self.active_indexes(), artifact_type=artifact_type, url=url)
        try:
            return self._read_page(index, cursor=cursor, limit=limit, **filters)
        except (TableMissing, ClientError) as err:
            if index is None or (isinstance(err, ClientError) and error_code(err) != "ValidationException"):
                raise
        # The index was deleted since it was seen: DynamoDB says so as a missing resource (or, on
        # some endpoints, an invalid request). Look again, once.
        forget_indexes()
        index = self._index_for(self.active_indexes(), artifact_type=artifact_type, url=url)
        return self._read_page(index, cursor=cursor, limit=limit, **filters)

    @staticmethod
    def _index_for(indexes: frozenset[str], *, artifact_type: str | None, url: str | None) -> IndexSpec | None:
        """The index whose key is one of the exact filters; a value no index key could hold (too
        long for a partition key) is left to a filter instead."""
        if is_storable_key(url) and ARTIFACT_URL_INDEX.name in indexes:
            return ARTIFACT_URL_INDEX
        if is_storable_key(artifact_type) and ARTIFACT_TYPE_INDEX.name in indexes:
            return ARTIFACT_TYPE_INDEX
        return None

    def _read_page(
        self,
        index: IndexSpec | None,
        *,
        artifact_type: str | None,
        url: str | None,
        name_query: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[ArtifactRecord]:
        exact = {"artifact_type": artifact_type, "url": url}
        key_condition = None if index is None else equals(index.hash_key, exact.pop(index.hash_key))
        conditions: list[Condition] = [equals(name, value) for name, value in exact.items() if value is not None]
        if name_query:
            conditions.append(contains("name_normalized", name_query))
        request = expression_kwargs(key_condition=key_condition, filter=all_of(*conditions))
        if index is not None:
            request["IndexName"] = index.name
        scope = json.dumps([self.table.name, request.get("IndexName"), artifact_type, url, name_query])
        page = read_page(
            self.table,
            operation="scan" if index is None else "query",
            scope=scope,
            limit=limit,
            key_names=(ARTIFACTS.key,) if index is None else (index.hash_key, ARTIFACTS.key),
            cursor=cursor,
            **request,
        )
        return page.map(record_from_item)

    def find_by_url(self, url: str) -> ArtifactRecord | None:
        """An artifact registered under exactly `url`: one Query with the url index; without it,
        a Scan of the whole table, page by page, until one is found."""
        cursor = None
        while True:
            page = self.page(url=url, cursor=cursor, limit=1)
            if page.items:
                return page.items[0]
            if page.next_cursor is None:
                return None
            cursor = page.next_cursor

    # ---- writes ----

    def insert(self, artifact_id: str, fields: ArtifactFields) -> ArtifactRecord:
        """Put a new item; ConditionFailed when `artifact_id` is taken."""
        item = {
            "artifact_id": artifact_id,
            **{name: value for name, value in asdict(fields).items() if value is not None},
        }
        with self.errors():
            self.table.put_item(Item=item, **expression_kwargs(condition=not_exists("artifact_id")))
        return record_from_item(item)

    def update(self, artifact_id: str, fields: ArtifactFields, *, expected_url: str) -> ArtifactRecord:
        """Set the attributes we own (removing those that are None) and keep any others; only while
        the item still exists with `expected_url` (ConditionFailed otherwise)."""
        update = Update()
        for name, value in asdict(fields).items():
            if value is None:
                update.remove(name)
            else:
                update.set(name, value)
        with self.errors():
            attributes = self.table.update_item(
                Key={"artifact_id": artifact_id},
                ReturnValues="ALL_NEW",
                **expression_kwargs(update=update, condition=equals("url", expected_url)),
            )["Attributes"]
        return record_from_item(attributes)

    def delete(self, artifact_id: str) -> ArtifactRecord:
        """Delete the item and return what it held; NotFound when there is none."""
        if not is_storable_key(artifact_id):
            raise NotFound(f"No artifact {artifact_id!r}.")
        try:
            with self.errors():
                attributes = self.table.delete_item(
                    Key={"artifact_id": artifact_id},
                    ReturnValues="ALL_OLD",
                    **expression_kwargs(condition=exists("artifact_id")),
                )["Attributes"]
        except ConditionFailed as err:
            raise NotFound(f"No artifact {artifact_id!r}.") from err
        return record_from_item(attributes)
