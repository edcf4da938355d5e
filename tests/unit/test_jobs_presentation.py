from decimal import Decimal

from core.display import DISPLAY_MAX_CHARS
from jobs.gateway import JobRecord
from jobs.presentation import attribute_rows, step_rows, total_duration


def test_durations_read_as_on_every_admin_page():
    rows = step_rows([{"duration_ms": ms} for ms in (0, 850, 1000, 12_400, 59_949, 60_000, 231_000)])
    assert [row.duration for row in rows] == ["0s", "850ms", "1s", "12s", "1m 00s", "1m 00s", "3m 51s"]


def test_bars_are_relative_to_the_longest_step_and_odd_durations_get_none():
    steps = [
        {"step_name": "a", "duration_ms": 500, "status": "completed"},
        {"step_name": "b", "duration_ms": 2000, "status": "FAILED"},
        {"step_name": "c", "duration_ms": "slow", "status": "<script>"},
        {"step_name": "d", "duration_ms": True},
        {"step_name": "e", "duration_ms": -5},
    ]
    rows = step_rows(steps)
    assert [row.bar_percent for row in rows] == [25.0, 100.0, 0, 0, 0]
    assert [row.duration for row in rows] == ["500ms", "2s", "—", "—", "—"]
    assert [row.status_class for row in rows] == ["completed", "failed", "other", "other", "other"]
    assert [row.order for row in rows] == [1, 2, 3, 4, 5]  # position when step_order is missing

    assert total_duration(steps) == "2.5s"
    assert total_duration([{"step_name": "x"}]) is None


def test_a_failed_step_shows_its_error_in_the_row_not_among_other_fields():
    (row,) = step_rows([{"step_name": "Render", "status": "failed", "error": "Timed out after 30 s"}])
    assert row.error == "Timed out after 30 s" and row.previews == []


def test_input_output_and_other_fields_are_collapsible_previews_cut_at_a_limit():
    step = {
        "step_order": 7,
        "step_name": "Write",
        "input": {"prompt": "hi"},
        "output": "x" * (DISPLAY_MAX_CHARS + 5),
        "usage_info": {"tokens": 3},
    }
    (row,) = step_rows([step])
    assert row.order == 7
    assert [(p.title, p.truncated) for p in row.previews] == [
        ("Input", False),
        ("Output", True),
        ("Other fields", False),
    ]
    assert row.previews[1].text == "x" * DISPLAY_MAX_CHARS + "…"
    assert '"prompt": "hi"' in row.previews[0].text and '"usage_info"' in row.previews[2].text


def test_attributes_put_the_usual_first_and_leave_the_steps_out():
    record = JobRecord(
        {
            "zeta": "z",
            "updated_at": "2025-11-07T09:12:03.120Z",
            "job_id": "j1",
            "progress": Decimal("42.5"),
            "execution_steps": [],
            "execution_steps_s3_key": "jobs/j1/execution_steps.json",
            "status": "running",
            "artifacts": ["a.pdf", "b.html"],
        }
    )
    rows = attribute_rows(record)
    assert [row.name for row in rows] == ["job_id", "status", "updated_at", "artifacts", "progress", "zeta"]
    assert (rows[4].text, rows[4].is_block) == ("42.5", False)
    assert rows[3].is_block and '"b.html"' in rows[3].text
