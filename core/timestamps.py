"""Timestamps as the items of every table hold them: ISO 8601 strings in UTC with a `Z`."""

from datetime import UTC, datetime


def utc_iso(moment: datetime, *, timespec: str = "auto") -> str:
    """`2025-11-23T12:05:00Z` (by default, fractions of a second kept when there are any); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_now_iso() -> str:
    """Now, to the millisecond: what our writes put in `updated_at`."""
    return utc_iso(datetime.now(UTC), timespec="milliseconds")


def parse_time(value: object) -> datetime | None:
    """The moment an upstream timestamp names, or None when it is absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        # In UTC, so that comparing and subtracting cannot overflow later: 0001-01-01T00:00+05:00
        # parses, but its UTC moment is before year 1.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
