"""DynamoDB values kept in the project's database: DynamoDB's own typed form (`{"S": ...}`,
`{"N": ...}`, ...) as ASCII JSON text, binary as base64, so that an item read back is the item
that was read, every type included, and no database refuses one of its characters."""

import base64
import json
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def stored_item_text(item: dict[str, Any]) -> str:
    return json.dumps({name: _portable(_serializer.serialize(value)) for name, value in item.items()})


def item_from_stored_text(text: str) -> dict[str, Any]:
    return {name: _deserializer.deserialize(_typed(value)) for name, value in json.loads(text).items()}


def _portable(typed: dict[str, Any]) -> dict[str, Any]:
    ((kind, value),) = typed.items()
    if kind == "B":
        return {kind: _b64(value)}
    if kind == "BS":
        return {kind: [_b64(element) for element in value]}
    if kind == "M":
        return {kind: {name: _portable(element) for name, element in value.items()}}
    if kind == "L":
        return {kind: [_portable(element) for element in value]}
    return typed


def _typed(portable: dict[str, Any]) -> dict[str, Any]:
    ((kind, value),) = portable.items()
    if kind == "B":
        return {kind: base64.b64decode(value)}
    if kind == "BS":
        return {kind: [base64.b64decode(element) for element in value]}
    if kind == "M":
        return {kind: {name: _typed(element) for name, element in value.items()}}
    if kind == "L":
        return {kind: [_typed(element) for element in value]}
    return portable


def _b64(value: bytes | Binary) -> str:
    return base64.b64encode(bytes(value.value if isinstance(value, Binary) else value)).decode("ascii")
