"""One page of a Scan or Query, no counting.

An unfiltered page is exactly one DynamoDB request. A filtered page (a `FilterExpression`) reads
DynamoDB's full pages (up to 1 MB each, no `Limit`) until it holds `limit` matches, the table
ends, or it has made `LIST_MAX_REQUESTS` requests, so that a rare status does not mean pages of
nothing; its cursor resumes right after the last item it returns, so no match is skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from django.conf import settings

from .cursors import decode_cursor, encode_cursor
from .errors import dynamodb_errors

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    scanned: int = 0  # items DynamoDB read to find these (before its filter)
    requests: int = 0  # DynamoDB requests made for this page

    def map(self, convert: Callable[[T], U]) -> "Page[U]":
        return replace(self, items=[convert(item) for item in self.items])


def read_page(
    table,
    *,
    operation: str,
    scope: str,
    limit: int,
    key_names: tuple[str, ...],
    cursor: str | None = None,
    **request: Any,
) -> Page[dict]:
    """Run `scan` or `query` on `table` for one page of at most `limit` items.

    `key_names`: the attributes of an ExclusiveStartKey for this read (the table's key, plus the
    index's key when querying an index), taken from the last item returned when a filtered read
    found more matches than the page holds.
    """
    if operation not in {"scan", "query"}:
        raise ValueError(f"Unknown paging operation {operation!r}.")
    if cursor:
        request["ExclusiveStartKey"] = decode_cursor(cursor, scope)
    filtered = "FilterExpression" in request
    if not filtered:
        request["Limit"] = limit
    max_requests = settings.LIST_MAX_REQUESTS if filtered else 1
    items: list[dict] = []
    scanned = requests = 0
    while True:
        with dynamodb_errors(table.name):
            response = getattr(table, operation)(**request)
        requests += 1
        scanned += response.get("ScannedCount", 0)
        found = response.get("Items", [])
        room = limit - len(items)
        items += found[:room]
        next_key = response.get("LastEvaluatedKey")
        if len(items) == limit:
            # Full: resume right after the last item returned (its key, whatever came after it).
            more = next_key is not None or len(found) > room
            next_key = {name: items[-1][name] for name in key_names} if more else None
            break
        if next_key is None or requests >= max_requests:
            break
        request["ExclusiveStartKey"] = next_key
    return Page(
        items=items,
        next_cursor=encode_cursor(next_key, scope) if next_key else None,
        scanned=scanned,
        requests=requests,
    )
