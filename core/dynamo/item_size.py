"""The exact size DynamoDB charges an item against its 400 KB limit, by AWS's published rules.

Item = sum over attributes of (UTF-8 bytes of the name + size of the value), where a string is its
UTF-8 bytes, binary its raw bytes, a boolean or null 1 byte, a number 1 byte plus 1 per two
significant digits (on each side of the decimal point, leading and trailing zeros trimmed, +1 when
negative), a map or list 3 bytes plus its elements plus 1 byte per element (a map element adds
its key's bytes), and a set the sum of its elements.
"""

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

ITEM_SIZE_LIMIT = 409_600


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def value_size(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, Binary):
        return len(value.value)
    if isinstance(value, (int, float, Decimal)):
        return number_size(value)
    if isinstance(value, Mapping):
        return 3 + sum(len(key.encode("utf-8")) + value_size(element) + 1 for key, element in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(value_size(element) + 1 for element in value)
    if isinstance(value, (set, frozenset)):
        return sum(value_size(element) for element in value)
    raise TypeError(f"Cannot size a {type(value).__name__} as a DynamoDB value.")


def number_size(number: int | float | Decimal) -> int:
    decimal = Decimal(str(number)) if isinstance(number, float) else Decimal(number)
    if decimal.is_zero():
        return 1
    sign, digits, exponent = trimmed_digits(decimal)
    count = len(digits)
    integer_digits = max(count + exponent, 0)
    fraction_digits = max(-exponent, 0)
    size = 1 + math.ceil(integer_digits / 2) + math.ceil(fraction_digits / 2)
    return size + 1 if sign else size


def trimmed_digits(number: Decimal) -> tuple[int, tuple[int, ...], int]:
    """(sign, digits, exponent) with leading and trailing zeros trimmed. Not Decimal.normalize(),
    which rounds to the context's 28 digits while DynamoDB keeps 38."""
    sign, digits, exponent = number.as_tuple()
    digits = tuple(digits)
    while digits and digits[0] == 0:
        digits = digits[1:]
    while digits and digits[-1] == 0:
        digits = digits[:-1]
        exponent += 1
    return sign, digits, exponent
