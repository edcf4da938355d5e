"""Typed reading of the environment for config/settings.py.

Each reader takes the variable's name and its default, and returns a value of its type. A value
that does not parse stops the process with one line that names the variable and the form it
expects (`AWS_MAX_ATTEMPTS='x': expected a whole number >= 1, e.g. AWS_MAX_ATTEMPTS=3`), rather than
a traceback from deep inside an import. An empty variable counts as unset.
"""

import os
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


class ConfigurationError(SystemExit):
    """Exits with its message (no traceback): the fix is in the environment, not in the code."""

    def __init__(self, message: str):
        super().__init__(f"Configuration error: {message}")


def _read(name: str, default: T, parse: Callable[[str], T], expected: str, example: str) -> T:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r}: expected {expected}, e.g. {name}={example}") from None


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def boolean(name: str, default: bool) -> bool:
    def parse(raw: str) -> bool:
        if raw.lower() in TRUE | FALSE:
            return raw.lower() in TRUE
        raise ValueError(raw)

    return _read(name, default, parse, "1 or 0 (true/false, yes/no, on/off)", "1")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(raw)
        return value

    return _read(name, default, parse, f"a whole number >= {minimum}", str(default))


def number(name: str, default: float, *, minimum: float = 0) -> float:
    def parse(raw: str) -> float:
        value = float(raw)
        if not minimum <= value < float("inf"):
            raise ValueError(raw)
        return value

    return _read(name, default, parse, f"a number >= {minimum:g}", f"{default:g}")


def items(name: str, default: tuple[str, ...] = ()) -> list[str]:
    """A comma-separated list."""
    raw = os.environ.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()] or list(default)


def rate(name: str, default: str) -> str:
    """A DRF throttle rate: requests per period, such as 60/minute."""

    def parse(raw: str) -> str:
        count, _, period = raw.partition("/")
        if int(count) < 0 or period not in RATE_PERIODS:
            raise ValueError(raw)
        return raw

    return _read(name, default, parse, "requests/period (period: second, minute, hour or day)", default)


def url(name: str, default: str | None, *, schemes: tuple[str, ...], example: str = "https://...") -> str | None:
    def parse(raw: str) -> str:
        if urlsplit(raw).scheme not in schemes:
            raise ValueError(raw)
        return raw

    forms = " or ".join(f"{scheme}://..." for scheme in schemes)
    return _read(name, default, parse, f"a URL {forms}", example)
