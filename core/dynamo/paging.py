"""One page of a Scan or Query: exactly one DynamoDB request, no counting."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .cursors import decode_cursor, encode_cursor
from .errors import dynamodb_errors

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def read_page(
    table, *, operation: str, scope: str, limit: int, cursor: str | None = None, **request: Any
) -> Page[dict]:
    """Run one `scan` or `query` on `table`.

    `Limit` bounds the items DynamoDB evaluates, before any filter; so a filtered page can hold
    fewer than `limit` items while there is still a next page, as DynamoDB's own paging does.
    """
    if operation not in {"scan", "query"}:
        raise ValueError(f"Unknown paging operation {operation!r}.")
    request["Limit"] = limit
    if cursor:
        request["ExclusiveStartKey"] = decode_cursor(cursor, scope)
    with dynamodb_errors(table.name):
        response = getattr(table, operation)(**request)
    last_key = response.get("LastEvaluatedKey")
    return Page(items=response.get("Items", []), next_cursor=encode_cursor(last_key, scope) if last_key else None)
