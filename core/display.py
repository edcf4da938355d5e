"""Stored values as the API, the admin and the commands show them: one conversion for every reader.

Other services write DynamoDB, and the JSON text inside it; any value may be the worst one it can
hold. `displayed()` turns a value read with boto3's resource (or parsed from stored JSON text) into
a JSON-ready one, and says what it had to change:

- numbers exact: integers of up to 38 digits as `int`, every other number as the `Decimal` read,
  which `core.stored_json.write_json()` and the API's renderer write from its own digits (`1E+125`,
  `0.12345678901234567890123`; never through a float);
- Binary as `{"$binary": "<base64>"}`; sets as sorted lists;
- text that is not valid Unicode (a lone surrogate, from a `\\ud800` escape in JSON text) with
  U+FFFD in place of each bad character;
- maps and lists nested more than `DISPLAY_MAX_DEPTH` levels, cut there as `{"$cut": "..."}`.

Each change is listed in `Displayed.problems` (where, what), which readers show next to the item.
"""

import base64
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

from core.dynamo.values import MAX_NESTING_LEVELS, MAX_NUMBER_DIGITS
from core.stored_json import write_json

BINARY = "$binary"
CUT = "$cut"
# Every value DynamoDB can hold is shown whole; only JSON text stored inside a value goes deeper.
DISPLAY_MAX_DEPTH = MAX_NESTING_LEVELS
MAX_PROBLEMS_LISTED = 10
# The most characters of one value an admin detail page shows, and a list's cell (the API has it whole).
DISPLAY_MAX_CHARS = 20_000
CELL_MAX_CHARS = 200
# The API's `display_error`, next to every item.
DISPLAY_ERROR_HELP = (
    "null, or which values are shown differently from how they are stored: text that is not valid Unicode "
    "(shown with U+FFFD), values nested too deeply (cut), numbers JSON cannot hold (null)."
)
NOT_UNICODE = "text that is not valid Unicode, shown with U+FFFD"

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Displayed:
    value: Any
    problems: tuple[str, ...] = ()

    @property
    def error(self) -> str | None:
        """The problems as one sentence (the first few), or None when the value is shown as stored."""
        if not self.problems:
            return None
        listed = "; ".join(self.problems[:MAX_PROBLEMS_LISTED])
        more = len(self.problems) - MAX_PROBLEMS_LISTED
        return listed + (f"; and {more} more" if more > 0 else "")


def displayed(value: Any, where: str = "") -> Displayed:
    """`value` made JSON-ready and safe to show; `where` names it in the problems (a map's keys are
    named after it, or alone when it is empty)."""
    problems: list[tuple[Any, str]] = []
    shown = _display(value, 1, where or None, problems)
    return Displayed(shown, tuple(f"{_where(path)}: {what}" for path, what in problems))


def displayed_text(value: Any, limit: int = DISPLAY_MAX_CHARS) -> str:
    """A value as text of at most `limit` characters (and "…"): strings as they are (made valid),
    anything else as compact JSON."""
    shown = displayed(value).value
    return shortened(shown if isinstance(shown, str) else write_json(shown), limit)[0]


def cell_text(value: Any) -> str:
    """A stored value in a list's cell: "—" when absent, else short text."""
    return "—" if value is None else displayed_text(value, CELL_MAX_CHARS)


def shortened(text: str, limit: int = DISPLAY_MAX_CHARS) -> tuple[str, bool]:
    """(the start of `text`, whether it was cut)."""
    return (text, False) if len(text) <= limit else (text[:limit] + "…", True)


def clean_text(text: str) -> str:
    """`text` with U+FFFD in place of each character that cannot be encoded (a lone surrogate)."""
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


def _display(value: Any, level: int, path: Any, problems: list) -> Any:
    if isinstance(value, str):
        cleaned = clean_text(value)
        if cleaned is not value:
            problems.append((path, NOT_UNICODE))
        return cleaned
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return _number(value, path, problems)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            problems.append((path, "a number JSON cannot hold, shown as null"))
            return None
        return value
    if isinstance(value, (Binary, bytes, bytearray)):
        raw = value.value if isinstance(value, Binary) else bytes(value)
        return {BINARY: base64.b64encode(raw).decode("ascii")}
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        problems.append((path, f"a {type(value).__name__}, shown as text"))
        return clean_text(str(value))
    if level > DISPLAY_MAX_DEPTH:
        problems.append((path, f"nested more than {DISPLAY_MAX_DEPTH} levels deep, cut there"))
        return {CUT: f"nested more than {DISPLAY_MAX_DEPTH} levels deep"}
    if isinstance(value, dict):
        shown = {}
        for key, item in value.items():
            name = clean_text(key) if isinstance(key, str) else str(key)
            if name is not key and isinstance(key, str):
                problems.append(((path, name), "a name that is not valid Unicode, shown with U+FFFD"))
            shown[name] = _display(item, level + 1, (path, name), problems)
        return shown
    if isinstance(value, (list, tuple)):
        return [_display(item, level + 1, (path, index), problems) for index, item in enumerate(value)]
    elements = [_display(item, level + 1, (path, "[]"), problems) for item in value]
    return sorted(elements, key=_set_order)


def _number(value: Decimal, path: Any, problems: list) -> Any:
    if not value.is_finite():
        problems.append((path, "a number JSON cannot hold, shown as null"))
        return None
    # Integers of up to 38 digits become ints. Larger ones keep their own short form (1E+125, not
    # 126 digits): written out, a 400 KB item of such numbers would make a response sixty times
    # its size, and 1E+999999 in stored JSON text a million digits.
    if value.adjusted() < MAX_NUMBER_DIGITS and value == value.to_integral_value():
        return int(value)
    return value


def _set_order(element: Any) -> tuple:
    """A set holds one type (SS, NS or BS): numbers by value, text and Binary by their text."""
    if isinstance(element, dict):
        return (2, element.get(BINARY, ""))
    if isinstance(element, str):
        return (1, element)
    return (0, element)


def _where(path: Any) -> str:
    parts = []
    while isinstance(path, tuple):
        path, key = path
        parts.append(f"[{key}]" if isinstance(key, int) else key if key == "[]" else f".{key}")
    if path is not None:
        parts.append(f".{path}")
    text = "".join(reversed(parts))
    return text[1:] if text.startswith(".") else text or "value"
