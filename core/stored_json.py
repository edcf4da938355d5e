"""JSON text that other services stored (snapshots, step objects, ratings): read strictly, so that
whatever is read can be served again as JSON.

Python's reader accepts what no JSON writer may send back: NaN and Infinity, and numbers such as
1e999 that overflow to infinity; an API response holding them cannot be rendered. Here they are
errors, as are integers too long to convert and nesting too deep to follow.
"""

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _refuse_constant(name: str) -> None:
    raise ValueError(f"invalid JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"invalid JSON: {text[:40]} is too large for a number")
    return number


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)  # built once


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
