"""Python values to and from what the boto3 Table resource speaks."""

import math
from decimal import Decimal, Rounded
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary

from core.errors import InvalidInput

from .item_size import trimmed_digits

MAX_NUMBER_DIGITS = 38
# Magnitudes DynamoDB stores: 1E-130 up to (not including) 1E+126.
MIN_NUMBER_EXPONENT, MAX_NUMBER_EXPONENT = -130, 125
# A top-level value is level 1; AWS refuses an item holding a value below level 32 (31 maps or
# lists around it). moto does not check.
MAX_NESTING_LEVELS = 32


def to_dynamodb(value: Any, where: str = "value") -> Any:
    """Convert a JSON-like Python value, or one the boto3 Table resource read (Decimal, Binary,
    sets), into what the Table resource accepts."""
    return _convert(value, where, 1)


def _convert(value: Any, where: str, level: int) -> Any:
    if level > MAX_NESTING_LEVELS:
        raise InvalidInput(
            f"{where}: DynamoDB allows at most {MAX_NESTING_LEVELS - 1} maps or lists nested around a value."
        )
    if value is None or isinstance(value, (bool, str, bytes, bytearray, Binary)):
        return value  # Binary: what a read of B gives back, so that a write can put it back
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
            if not isinstance(key, str) or not key:  # DynamoDB refuses an empty name at any depth
                raise InvalidInput(f"{where}: map keys must be non-empty strings, got {key!r}.")
            converted[key] = _convert(item, f"{where}.{key}", level + 1)
        return converted
    if isinstance(value, (list, tuple)):
        return [_convert(item, f"{where}[{index}]", level + 1) for index, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        if not value:
            raise InvalidInput(f"{where}: DynamoDB cannot store an empty set.")
        return {_convert(item, where, level) for item in value}
    raise InvalidInput(f"{where}: {type(value).__name__} cannot be stored in DynamoDB.")


def _checked_number(number: Decimal, where: str) -> Decimal:
    if len(trimmed_digits(number)[1]) > MAX_NUMBER_DIGITS:
        raise InvalidInput(f"{where}: DynamoDB numbers hold at most {MAX_NUMBER_DIGITS} significant digits.")
    if not number.is_zero() and not MIN_NUMBER_EXPONENT <= number.adjusted() <= MAX_NUMBER_EXPONENT:
        raise InvalidInput(f"{where}: {number} is outside DynamoDB's number range (1E-130 to 1E+126, exclusive).")
    return number


def accept_numbers_longer_only_by_zeros() -> None:
    """Let boto3 read and write numbers whose digits pass 38 only by zeros (`10**40`, or
    `1234567895171680000000000000000000000000` as other SDKs store them). DynamoDB holds them, but
    boto3's number context traps `Rounded`, which is signalled even when only zeros are dropped, so
    one such number made every read of its item fail (boto3 issues 2500 and 4693). `Inexact` stays
    trapped: a number that would lose a digit is still refused."""
    DYNAMODB_CONTEXT.traps[Rounded] = False


def from_dynamodb(value: Any) -> Any:
    """JSON-ready values from a read item: Decimal -> int, or kept exact, sets -> sorted lists, Binary -> bytes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(from_dynamodb(item) for item in value)
    if isinstance(value, Binary):
        return value.value
    return value
