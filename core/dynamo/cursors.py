"""Opaque paging cursors: DynamoDB's LastEvaluatedKey, signed with SECRET_KEY (and stacks of them,
for "Previous page").

The signature's salt names the listing (table, index, filter), so a cursor that was tampered
with, or issued for another listing, is refused with InvalidCursor (a 400) before DynamoDB sees it.
"""

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from django.core import signing

from core.errors import InvalidCursor

MAX_CURSOR_LENGTH = 4096
MAX_STACK_LENGTH = 16 * MAX_CURSOR_LENGTH
_ALLOWED_TYPES = {"S", "N"}


def encode_cursor(last_evaluated_key: dict[str, Any], scope: str) -> str:
    serializer = TypeSerializer()
    wire = {name: serializer.serialize(value) for name, value in last_evaluated_key.items()}
    return signing.dumps(wire, salt=_salt(scope), compress=True)


def decode_cursor(cursor: str, scope: str) -> dict[str, Any]:
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("The cursor is invalid.")
    try:
        wire = signing.loads(cursor, salt=_salt(scope))
    except (signing.BadSignature, ValueError, UnicodeError) as err:
        raise InvalidCursor("The cursor is invalid or was issued for another listing.") from err
    if not isinstance(wire, dict) or not wire:
        raise InvalidCursor("The cursor is invalid.")
    deserializer = TypeDeserializer()
    key = {}
    for name, typed in wire.items():
        # Only a key DynamoDB could have returned: names, and strings or finite numbers (a cursor
        # signed by another version of this codec must be refused, not sent to DynamoDB).
        if not (name and isinstance(typed, dict) and len(typed) == 1):
            raise InvalidCursor("The cursor is invalid.")
        ((kind, value),) = typed.items()
        if kind not in _ALLOWED_TYPES or not isinstance(value, str):
            raise InvalidCursor("The cursor is invalid.")
        try:
            key[name] = deserializer.deserialize(typed)
        except ArithmeticError as err:
            raise InvalidCursor("The cursor is invalid.") from err
        if kind == "N" and not key[name].is_finite():
            raise InvalidCursor("The cursor is invalid.")
    return key


def encode_cursor_stack(cursors: list[str], scope: str) -> str:
    """The cursors of the pages before this one ("" for the first page), signed like a cursor:
    what "Previous page" links carry."""
    return signing.dumps(cursors, salt=_salt(f"stack:{scope}"), compress=True)


def decode_cursor_stack(token: str, scope: str) -> list[str]:
    if not isinstance(token, str) or not token or len(token) > MAX_STACK_LENGTH:
        raise InvalidCursor("The page history is invalid.")
    try:
        cursors = signing.loads(token, salt=_salt(f"stack:{scope}"))
    except (signing.BadSignature, ValueError, UnicodeError) as err:
        raise InvalidCursor("The page history is invalid or was issued for another listing.") from err
    if not isinstance(cursors, list) or not all(isinstance(cursor, str) for cursor in cursors):
        raise InvalidCursor("The page history is invalid.")
    return cursors


def _salt(scope: str) -> str:
    return f"core.dynamo.cursor:{scope}"
