"""JSON text that other services stored (snapshots, step objects, ratings): read strictly, so that
whatever is read can be served again as JSON, and written back exactly as it was read.

Python's reader accepts what no JSON writer may send back: NaN and Infinity, and numbers such as
1e999 that overflow to infinity; an API response holding them cannot be rendered. Here they are
errors, as are integers too long to convert and nesting too deep to follow.

Numbers with a fraction or an exponent are read as `StoredNumber`, an exact Decimal that keeps its
text: a write puts back `0.12345678901234567890123` and `1e5` as they were, where floats would
round the first and turn the second into `100000.0`. Integers are Python ints (exact already).
"""

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import simplejson

_FLOAT_MAX_EXPONENT = 307  # float's largest is about 1.8E+308


class StoredNumber(Decimal):
    """A JSON number with a fraction or an exponent: its exact value, written back as its text."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> "StoredNumber":
        number = super().__new__(cls, text)
        # Still refused: what a response's float would turn into infinity. float() only when it might.
        if number.adjusted() > _FLOAT_MAX_EXPONENT and math.isinf(float(number)):
            raise ValueError(f"invalid JSON: {text[:40]} is too large for a number")
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


def _refuse_constant(name: str) -> None:
    raise ValueError(f"invalid JSON: {name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=StoredNumber)  # built once


def read_json(text: str) -> Any:
    """The value of `text`; ValueError saying why (where, for a syntax error) when it cannot be read."""
    with _why_unreadable():
        return _DECODER.decode(text)


class TooManyItems(ValueError):
    """The JSON list holds more elements than the reader was allowed to parse."""


_SPACE = re.compile(r"[ \t\n\r]*")


def read_json_bounded(text: str, *, max_items: int) -> Any:
    """As `read_json`, but a top-level list is parsed one element at a time, so that a list longer
    than `max_items` costs no more than `max_items` elements: TooManyItems."""
    with _why_unreadable():
        start = _SPACE.match(text).end()
        if not text.startswith("[", start):
            return _DECODER.decode(text)
        items: list = []
        position = _SPACE.match(text, start + 1).end()
        if text.startswith("]", position):
            return _after_end(text, position, items)
        while True:
            if len(items) == max_items:
                raise TooManyItems(f"more than {max_items} elements")
            item, position = _DECODER.raw_decode(text, position)
            items.append(item)
            position = _SPACE.match(text, position).end()
            if text.startswith("]", position):
                return _after_end(text, position, items)
            if not text.startswith(",", position):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
            position = _SPACE.match(text, position + 1).end()


def _after_end(text: str, position: int, items: list) -> list:
    end = _SPACE.match(text, position + 1).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return items


@contextmanager
def _why_unreadable() -> Iterator[None]:
    try:
        yield
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
    except RecursionError as err:
        raise ValueError("invalid JSON: nested too deeply") from err
    except TooManyItems:
        raise
    except ValueError as err:
        if str(err).startswith("invalid JSON"):
            raise
        # The only other refusal: an integer longer than Python converts (sys.get_int_max_str_digits).
        raise ValueError("invalid JSON: a number has more digits than can be read") from err


def write_json(value: Any, **options: Any) -> str:
    """JSON text of `value` with every Decimal (read here, or from DynamoDB) written exactly, and
    non-ASCII text as UTF-8. A lone surrogate, which UTF-8 cannot hold, is written as the `\\uXXXX`
    escape it was read from. `options` are the json module's (indent, sort_keys, separators)."""
    text = simplejson.dumps(value, use_decimal=True, allow_nan=False, ensure_ascii=False, **options)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = simplejson.dumps(value, use_decimal=True, allow_nan=False, ensure_ascii=True, **options)
    return text
