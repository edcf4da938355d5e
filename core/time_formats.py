"""Dates and durations as the admin shows them: one way each, on every page.

Dates use Django's own formats (`DATETIME_FORMAT`, `TIME_FORMAT`: what the admin's History shows),
always in UTC, which each page says once. Durations read "850ms", "4.2s", "3m 51s", "1h 03m",
"2d 4h", "1y 12d". Stored values come from other services: anything that is not a readable time or
number (unparseable, out of Python's range, NaN, a number of 400 digits) is shown as the text it
is, never raised.
"""

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.html import format_html

from core.display import DISPLAY_MAX_CHARS, displayed_text
from core.timestamps import parse_time, utc_iso

UNKNOWN = "—"


def moment_text(moment: datetime, *, time_only: bool = False) -> str:
    """A moment as plain text in UTC (for SVG and titles), by Django's DATETIME_FORMAT or TIME_FORMAT;
    one that UTC cannot hold (year 1 at +01:00) as written."""
    try:
        return date_format(moment.astimezone(UTC), "TIME_FORMAT" if time_only else "DATETIME_FORMAT")
    except (OverflowError, ValueError):
        return moment.isoformat()


def format_datetime(value: Any, *, limit: int = DISPLAY_MAX_CHARS):
    """A stored timestamp (or an aware datetime) for an admin page: the formatted moment in a
    <time> element whose title is the value as stored; a value that is not a readable time, as
    text (of at most `limit` characters, by core.display's rules); none, a dash."""
    if value is None or value == "":
        return UNKNOWN
    moment = value if isinstance(value, datetime) and value.tzinfo else parse_time(value)
    if moment is None:
        return displayed_text(value, limit)
    try:
        machine = utc_iso(moment)
    except (OverflowError, ValueError):  # in range as written, out of range in UTC (year 1 or 9999)
        return displayed_text(value, limit)
    return format_html('<time datetime="{}" title="{}">{}</time>', machine, value, moment_text(moment))


def is_timestamp(name: str, value: Any) -> bool:
    """Whether an attribute holds a time, by the tables' naming (`created_at`, `started_at`...)."""
    return name.endswith("_at") and isinstance(value, str)


def format_duration(seconds: Any) -> str:
    """A short duration; a value that is not a finite, non-negative number of seconds is a dash."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Decimal)):
        return UNKNOWN
    try:
        seconds = float(seconds)
    except (OverflowError, ValueError):
        return UNKNOWN
    if not math.isfinite(seconds) or seconds < 0:
        return UNKNOWN
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms" if seconds else "0s"
    if seconds < 10:
        return f"{seconds:.1f}".removesuffix(".0") + "s"
    total = round(seconds)
    years, rest = divmod(total, 365 * 86_400)
    days, rest = divmod(rest, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if years:
        return f"{years:,}y {days}d"
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_duration_ms(milliseconds: Any) -> str:
    """A duration stored in milliseconds (a job step's `duration_ms`)."""
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float, Decimal)):
        return UNKNOWN
    try:
        return format_duration(float(milliseconds) / 1000)
    except (OverflowError, ValueError):
        return UNKNOWN
