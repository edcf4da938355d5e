"""One date format and one duration format for every admin page; odd stored values are text."""

from decimal import Decimal

import pytest

from core.time_formats import format_datetime, format_duration, format_duration_ms


def test_durations_read_the_same_everywhere():
    seconds = (0, 0.85, 1, 4.25, 45, 231, 252, 3780, 187_200, 366 * 86_400)
    assert [format_duration(value) for value in seconds] == [
        "0s",
        "850ms",
        "1s",
        "4.2s",
        "45s",
        "3m 51s",
        "4m 12s",
        "1h 03m",
        "2d 4h",
        "1y 1d",
    ]
    assert format_duration_ms(75_000) == "1m 15s" and format_duration_ms(Decimal("850")) == "850ms"


@pytest.mark.parametrize(
    "odd", [None, "soon", -1, True, float("nan"), float("inf"), Decimal("1E+400"), 10**400, [1], {"s": 1}]
)
def test_odd_durations_are_a_dash(odd):
    assert format_duration(odd) == "—" and format_duration_ms(odd) == "—"


def test_huge_durations_stay_one_short_line():
    assert format_duration(Decimal("9" * 38)).endswith("d") and "\n" not in format_duration(10**30)


def test_dates_use_djangos_format_in_utc_with_the_stored_value_in_the_title():
    html = format_datetime("2025-11-07T10:12:03.120+01:00")
    assert html == (
        '<time datetime="2025-11-07T09:12:03.120000Z" title="2025-11-07T10:12:03.120+01:00">'
        "Nov. 7, 2025, 9:12 a.m.</time>"
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("yesterday", "yesterday"),
        ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-01:00"),  # after 9999 in UTC
        ("99999-01-01T00:00:00Z", "99999-01-01T00:00:00Z"),
        (Decimal("1700000000"), "1700000000"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # text, escaped by the template
        (None, "—"),
        ("", "—"),
    ],
)
def test_odd_dates_are_shown_as_text(stored, shown):
    assert format_datetime(stored) == shown
