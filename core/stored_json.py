"""JSON text that other services stored (snapshots, step objects, ratings): read strictly, so that
whatever is read can be served again as JSON.

Python's reader accepts what no JSON writer may send back: NaN and Infinity, and numbers such as
1e999 that overflow to infinity; an API response holding them cannot be rendered. Here they are
errors, as are integers too long to convert and nesting too deep to follow.
"""

import json
import math
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
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
    except RecursionError as err:
        raise ValueError("invalid JSON: nested too deeply") from err
    except ValueError as err:
        if str(err).startswith("invalid JSON"):
            raise
        # The only other refusal: an integer longer than Python converts (sys.get_int_max_str_digits).
        raise ValueError("invalid JSON: a number has more digits than can be read") from err
