"""Python values to and from what the boto3 Table resource speaks."""

import math
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

from core.errors import InvalidInput

from .item_size import trimmed_digits

MAX_NUMBER_DIGITS = 38


def to_dynamodb(value: Any, where: str = "value") -> Any:
    """Convert a JSON-like Python value into what the boto3 Table resource accepts."""
    if value is None or isinstance(value, (bool, str, bytes, bytearray)):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise InvalidInput(f"{where}: NaN and Infinity cannot be stored in DynamoDB.")
        return _checked_number(Decimal(str(value)), where)
    if isinstance(value, int):
        return _checked_number(Decimal(value), where)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInput(f"{where}: NaN and Infinity cannot be stored in DynamoDB.")
        return _checked_number(value, where)
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{where}: map keys must be strings, got {key!r}.")
            converted[key] = to_dynamodb(item, f"{where}.{key}")
        return converted
    if isinstance(value, (list, tuple)):
        return [to_dynamodb(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        if not value:
            raise InvalidInput(f"{where}: DynamoDB cannot store an empty set.")
        return {to_dynamodb(item, where) for item in value}
    raise InvalidInput(f"{where}: {type(value).__name__} cannot be stored in DynamoDB.")


def _checked_number(number: Decimal, where: str) -> Decimal:
    if len(trimmed_digits(number)[1]) > MAX_NUMBER_DIGITS:
        raise InvalidInput(f"{where}: DynamoDB numbers hold at most {MAX_NUMBER_DIGITS} significant digits.")
    return number


def from_dynamodb(value: Any) -> Any:
    """JSON-ready values from a read item: Decimal -> int or float, sets -> sorted lists, Binary -> bytes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(from_dynamodb(item) for item in value)
    if isinstance(value, Binary):
        return value.value
    return value
