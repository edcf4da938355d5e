"""How the admin shows a job: its attributes, and its steps as a table with duration bars."""

import json
from dataclasses import dataclass
from typing import Any

from core.dynamo.values import from_dynamodb
from core.time_formats import format_datetime, format_duration_ms, is_timestamp

from .gateway import STEPS, STEPS_KEY, JobRecord

FIRST_ATTRIBUTES = ("job_id", "status", "created_at", "updated_at")
STEP_COLUMNS = ("step_order", "step_name", "step_type", "status", "duration_ms", "error")
COLLAPSIBLE_FIELDS = ("input", "output")
STATUS_CLASSES = {"completed", "failed", "running", "pending", "skipped"}
# A step's input or output can be megabytes; the page shows the start, the API has it all.
PREVIEW_CHARS = 20_000


@dataclass(frozen=True)
class Preview:
    title: str
    text: str
    truncated: bool


@dataclass(frozen=True)
class Attribute:
    name: str
    text: str

    @property
    def is_block(self) -> bool:
        return "\n" in self.text


@dataclass(frozen=True)
class StepRow:
    order: Any
    name: str
    error: str
    step_type: str
    status: str
    status_class: str
    duration: str
    bar_percent: float
    previews: list[Preview]


def attribute_rows(record: JobRecord) -> list[Attribute]:
    """Every attribute but the steps pair, the usual ones first."""
    names = [name for name in record.item if name not in (STEPS, STEPS_KEY)]
    names.sort(
        key=lambda name: (FIRST_ATTRIBUTES.index(name) if name in FIRST_ATTRIBUTES else len(FIRST_ATTRIBUTES), name)
    )
    return [Attribute(name, attribute_text(name, from_dynamodb(record.item[name]))) for name in names]


def attribute_text(name: str, value: Any):
    """Timestamps (`*_at` strings) in the admin's date format; anything else as text."""
    return format_datetime(value) if is_timestamp(name, value) else as_text(value)


def step_rows(steps: list[dict]) -> list[StepRow]:
    durations = [duration_ms(step) for step in steps]
    longest = max((ms for ms in durations if ms is not None), default=0)
    rows = []
    for index, (step, ms) in enumerate(zip(steps, durations, strict=True)):
        status = str(step.get("status") or "")
        rows.append(
            StepRow(
                order=step.get("step_order", index + 1),
                name=str(step.get("step_name") or ""),
                error=as_text(step["error"]) if step.get("error") else "",
                step_type=str(step.get("step_type") or ""),
                status=status,
                status_class=status.lower() if status.lower() in STATUS_CLASSES else "other",
                duration=format_duration_ms(ms) if ms is not None else "—",
                bar_percent=round(100 * ms / longest, 1) if ms and longest else 0,
                previews=step_previews(step),
            )
        )
    return rows


def step_previews(step: dict) -> list[Preview]:
    previews = [preview(name.capitalize(), step[name]) for name in COLLAPSIBLE_FIELDS if name in step]
    others = {name: value for name, value in step.items() if name not in STEP_COLUMNS + COLLAPSIBLE_FIELDS}
    if others:
        previews.append(preview("Other fields", others))
    return previews


def preview(title: str, value: Any) -> Preview:
    text = as_text(value)
    return Preview(title=title, text=text[:PREVIEW_CHARS], truncated=len(text) > PREVIEW_CHARS)


def total_duration(steps: list[dict]) -> str | None:
    durations = [ms for ms in map(duration_ms, steps) if ms is not None]
    return format_duration_ms(sum(durations)) if durations else None


def duration_ms(step: dict) -> float | None:
    value = step.get("duration_ms")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return value


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
