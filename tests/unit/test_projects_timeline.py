from datetime import UTC, datetime
from itertools import pairwise

import pytest

from core.timestamps import parse_time, utc_iso
from projects.snapshot import read_snapshot
from projects.timeline import (
    CHART_WIDTH,
    CHART_X,
    MIN_BAR,
    MIN_SEGMENT,
    OTHER_COLOUR,
    STATUS_COLOURS,
    build_timeline,
)

NOW = datetime(2025, 11, 23, 13, 0, tzinfo=UTC)


def timeline_of(*stages):
    return build_timeline(read_snapshot({"stages": list(stages)}).snapshot, now=NOW)


def test_bars_share_one_time_axis_in_proportion():
    timeline = timeline_of(
        {
            "stage": "a",
            "status": "completed",
            "started_at": "2025-11-23T12:00:00Z",
            "completed_at": "2025-11-23T12:10:00Z",
        },
        {
            "stage": "b",
            "status": "completed",
            "started_at": "2025-11-23T12:10:00Z",
            "completed_at": "2025-11-23T12:40:00Z",
        },
    )
    first, second = timeline.rows
    assert first.bar_x == CHART_X and first.bar_width == pytest.approx(CHART_WIDTH / 4)
    assert second.bar_x == pytest.approx(CHART_X + CHART_WIDTH / 4) and second.bar_width == pytest.approx(
        CHART_WIDTH * 3 / 4
    )
    assert (first.note, second.note) == ("10m 00s", "30m 00s")
    assert timeline.to_scale
    assert second.y - first.y == timeline.row_height and timeline.height > timeline.rows_bottom
    assert timeline.span == "40m 00s" and timeline.ticks[0].label == "noon" and timeline.ticks[-1].label == "+40m 00s"


def test_a_running_stage_reaches_now():
    timeline = timeline_of({"stage": "a", "status": "running", "started_at": "2025-11-23T12:30:00Z"})
    row = timeline.rows[0]
    assert row.bar_width == pytest.approx(CHART_WIDTH) and row.note == "30m 00s so far" and timeline.end == NOW


def test_stages_without_usable_times_keep_their_row_and_say_why():
    timeline = timeline_of(
        {"stage": "a", "status": "pending"},
        {"stage": "b", "status": "failed"},
        {"stage": "c", "status": "failed", "started_at": "2025-11-23T12:00:00Z"},
        {"stage": "d", "status": "completed", "started_at": "yesterday", "completed_at": "2025-11-23T12:00:00Z"},
        {
            "stage": "e",
            "status": "completed",
            "started_at": "2025-11-23T12:05:00Z",
            "completed_at": "2025-11-23T12:00:00Z",
        },
    )
    notes = [row.note for row in timeline.rows]
    assert notes == [
        "not started",
        "no start time",
        "end time missing or before start",
        "no start time",
        "end time missing or before start",
    ]
    assert [row.bar_x is None for row in timeline.rows] == [True, True, False, True, False]
    assert timeline.rows[2].bar_width == MIN_BAR


def test_colours_follow_the_status_and_the_legend_lists_each_once():
    timeline = timeline_of({"status": "completed"}, {"status": "completed"}, {"status": "paused"}, {})
    assert [row.colour for row in timeline.rows] == [STATUS_COLOURS["completed"]] * 2 + [OTHER_COLOUR] * 2
    assert [entry.status for entry in timeline.legend] == ["completed", "paused", "unknown"]
    assert timeline.legend[0].x < timeline.legend[1].x < timeline.legend[2].x
    assert timeline.ticks == () and timeline.span == ""


def test_labels_show_number_and_name_and_shorten_wide_text():
    timeline = timeline_of(
        {"stage": "prompt_engineer", "stage_number": 4, "stage_name": "提示词工程"},
        {"stage": "x", "stage_name": "非常长的阶段名称" * 4},
        {"stage": "only_identifier"},
    )
    labels = [row.label for row in timeline.rows]
    assert labels[0] == "4. 提示词工程" and labels[2] == "only_identifier"
    assert labels[1].endswith("…") and len(labels[1]) == 18  # 17 wide characters fill 34 of 36 units
    assert "提示词工程 · prompt_engineer · unknown" in timeline.rows[0].tooltip


def test_time_helpers():
    assert utc_iso(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
    assert utc_iso(datetime(2025, 1, 2, 3, 4, 5, 120000)) == "2025-01-02T03:04:05.120000Z"
    assert parse_time("2025-01-02T03:04:05+02:00") == datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert parse_time("2025-01-02T03:04:05") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("soon") is None and parse_time(12) is None and parse_time("") is None


def test_a_stage_running_for_a_year_leaves_the_others_readable():
    year_ago = "2024-11-23T12:00:00Z"
    stages = [
        {
            "stage": f"s{n}",
            "status": "completed",
            "started_at": f"2024-11-23T12:0{n}:00Z",
            "completed_at": f"2024-11-23T12:0{n + 1}:00Z",
        }
        for n in range(5)
    ]
    stages.append({"stage": "stuck", "status": "running", "started_at": "2024-11-23T12:05:00Z"})
    timeline = timeline_of(*stages)
    *short, stuck = timeline.rows
    # On a linear axis each minute-long stage would be 540 px / 525,600 minutes: a 3 px sliver.
    assert all(row.bar_width >= MIN_SEGMENT for row in short)
    assert [row.note for row in short] == ["1m 00s"] * 5  # durations stay exact
    assert stuck.note == "1y 0d so far" and stuck.bar_width > CHART_WIDTH / 2
    assert stuck.bar_x + stuck.bar_width == pytest.approx(CHART_X + CHART_WIDTH)
    # Order and adjacency stay true: each stage starts where the previous one ended.
    for earlier, later in pairwise(timeline.rows):
        assert later.bar_x == pytest.approx(earlier.bar_x + earlier.bar_width)
    assert not timeline.to_scale
    assert timeline.rows[0].bar_x == CHART_X and timeline.start == parse_time(year_ago)
    # Tick labels read the real time at their place on the compressed axis, in order.
    offsets = [tick.label for tick in timeline.ticks[1:]]
    assert offsets[-1] == "+1y 0d" and len(set(offsets)) == len(offsets)
