from datetime import UTC, datetime

import pytest

from core.timestamps import format_duration, parse_time, utc_iso
from projects.snapshot import read_snapshot
from projects.timeline import CHART_WIDTH, CHART_X, MIN_BAR, OTHER_COLOUR, STATUS_COLOURS, build_timeline

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
    assert second.y - first.y == timeline.row_height and timeline.height > timeline.rows_bottom
    assert (
        timeline.span == "40m 00s" and timeline.ticks[0].label == "12:00:00" and timeline.ticks[-1].label == "+40m 00s"
    )


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
    assert [format_duration(s) for s in (0, 45, 252, 3780, 187_200)] == ["0s", "45s", "4m 12s", "1h 03m", "2d 4h"]
