"""How the admin shows a job: its attributes, and its steps as a table with duration bars.

Steps come here as `core.display` made them (JSON-ready, numbers exact), from inline steps or an S3
object that anyone may have written: any field may hold any value.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.display import displayed, shortened
from core.stored_json import write_json
from core.time_formats import format_datetime, format_duration_ms, is_timestamp

from .gateway import STEPS, STEPS_KEY, JobRecord

FIRST_ATTRIBUTES = ("job_id", "status", "created_at", "updated_at")
STEP_COLUMNS = ("step_order", "step_name", "step_type", "status", "duration_ms", "error")
COLLAPSIBLE_FIELDS = ("input", "output")
STATUS_CLASSES = {"completed", "failed", "running", "pending", "skipped"}
# Longer is not a duration a step can have taken (about 31 years): shown as unknown.
MAX_DURATION_MS = 10**12


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
    return [Attribute(name, attribute_text(name, displayed(record.item[name]).value)) for name in names]


def attribute_text(name: str, value: Any):
    """Timestamps (`*_at` strings) in the admin's date format; anything else as text."""
    return format_datetime(value) if is_timestamp(name, value) else shortened(as_text(value))[0]


def is_failed(step: Any) -> bool:
    return isinstance(step, dict) and str(step.get("status") or "").lower() == "failed"


def longest_duration(steps: list) -> float:
    return max((ms for ms in map(duration_ms, steps) if ms is not None), default=0)


def step_rows(steps: list, *, first: int = 0, longest: float | None = None) -> list[StepRow]:
    """Rows for `steps`, the first being step number `first + 1` of the list they come from; bars
    are drawn against `longest` (by default the longest of these)."""
    steps = [step if isinstance(step, dict) else {"value": step} for step in steps]
    durations = [duration_ms(step) for step in steps]
    longest = longest_duration(steps) if longest is None else longest
    rows = []
    for index, (step, ms) in enumerate(zip(steps, durations, strict=True), start=first):
        status = str(step.get("status") or "")
        rows.append(
            StepRow(
                order=step.get("step_order", index + 1),
                name=str(step.get("step_name") or ""),
                error=shortened(as_text(step["error"]))[0] if step.get("error") else "",
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
    text, truncated = shortened(as_text(value))
    return Preview(title=title, text=text, truncated=truncated)


def total_duration(steps: list) -> str | None:
    durations = [ms for ms in map(duration_ms, steps) if ms is not None]
    return format_duration_ms(sum(durations)) if durations else None


def duration_ms(step: Any) -> float | None:
    """The step's duration when it is a number a step can have taken, else None (shown as unknown)."""
    value = step.get("duration_ms") if isinstance(step, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if not 0 <= value <= MAX_DURATION_MS:  # compared exactly: a 400-digit integer is no float
        return None
    ms = float(value)
    return ms if math.isfinite(ms) else None


def as_text(value: Any) -> str:
    """A displayed value: strings as they are, anything else as indented JSON."""
    return value if isinstance(value, str) else write_json(value, indent=2)
