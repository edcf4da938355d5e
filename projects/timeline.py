"""The geometry of a project's stage timeline, drawn by the admin as inline SVG.

One row per stage, in snapshot order: a status-coloured bar from `started_at` to `completed_at`
on a shared time axis (a running stage reaches "now"), the duration beside it, and a legend of the
statuses shown. Stages without usable times still get their row, with the reason instead of a bar.

The axis is linear while every stretch between two stage boundaries gets at least MIN_SEGMENT
pixels. When one stage dwarfs the others (a stage "running" for a year beside stages of minutes),
each stretch gets MIN_SEGMENT plus its share of the rest: the order and overlap of stages stay
true, no stage becomes a sliver, and the picture says the axis is not to scale (the durations
written beside the bars are exact).
"""

import bisect
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from core.time_formats import format_duration, moment_text
from core.timestamps import parse_time

from .snapshot import Stage, StagesSnapshot

STATUS_COLOURS = {
    "completed": "#2e7d32",
    "running": "#1565c0",
    "failed": "#c62828",
    "pending": "#9e9e9e",
    "skipped": "#78909c",
    "cancelled": "#8d6e63",
}
OTHER_COLOUR = "#8e24aa"
NEVER_STARTED = {"pending", "skipped", "cancelled"}  # statuses of stages that may have no start time

WIDTH = 960
LABEL_X = 22
LABEL_UNITS = 36  # label width in "narrow characters" (a CJK character counts two)
CHART_X = 290
CHART_WIDTH = 540
TOP = 34
ROW_HEIGHT = 28
BAR_HEIGHT = 16
MIN_BAR = 3
MIN_SEGMENT = 24  # pixels for the shortest stretch between two stage boundaries
TICKS = 5


@dataclass(frozen=True)
class Row:
    stage: Stage
    y: int  # top of the row
    label: str
    status: str
    colour: str
    bar_x: float | None  # None: no bar (the note says why)
    bar_width: float
    note: str  # the duration, or why there is none
    note_x: float
    tooltip: str

    @property
    def bar_y(self) -> int:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) // 2

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT // 2 + 4

    @property
    def dot_y(self) -> int:
        return self.y + ROW_HEIGHT // 2


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class LegendEntry:
    x: int
    status: str
    colour: str


@dataclass(frozen=True)
class Timeline:
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    legend: tuple[LegendEntry, ...]
    start: datetime | None
    end: datetime | None
    to_scale: bool = True
    width: int = WIDTH
    row_height: int = ROW_HEIGHT
    bar_height: int = BAR_HEIGHT
    tick_y: int = TOP - 12
    grid_top: int = TOP - 6

    @property
    def rows_bottom(self) -> int:
        return TOP + ROW_HEIGHT * len(self.rows)

    @property
    def legend_y(self) -> int:
        """Baseline of the legend's text; its swatches sit just above."""
        return self.rows_bottom + 24

    @property
    def legend_swatch_y(self) -> int:
        return self.legend_y - 10

    @property
    def height(self) -> int:
        return self.legend_y + 10

    @property
    def span(self) -> str:
        return format_duration((self.end - self.start).total_seconds()) if self.start and self.end else ""


class Axis:
    """Seconds since the first moment <-> pixels, piecewise linear between the stage boundaries."""

    def __init__(self, offsets: list[float]):
        self.offsets = sorted(set(offsets))  # seconds after the start, 0 first
        spans = [later - earlier for earlier, later in pairwise(self.offsets)]
        total = sum(spans)
        natural = [CHART_WIDTH * span / total for span in spans] if total else []
        self.to_scale = all(width >= MIN_SEGMENT for width in natural)
        if self.to_scale or not spans:
            widths = natural
        else:
            floor = min(MIN_SEGMENT, CHART_WIDTH / (2 * len(spans)))
            widths = [floor + (CHART_WIDTH - floor * len(spans)) * span / total for span in spans]
        self.pixels = [0.0]
        for width in widths:
            self.pixels.append(self.pixels[-1] + width)

    def x(self, offset: float) -> float:
        return CHART_X + self._interpolate(offset, self.offsets, self.pixels)

    def offset_at(self, pixel: float) -> float:
        return self._interpolate(pixel, self.pixels, self.offsets)

    @staticmethod
    def _interpolate(value: float, source: list[float], target: list[float]) -> float:
        if len(source) < 2:
            return 0.0
        index = min(max(bisect.bisect_right(source, value) - 1, 0), len(source) - 2)
        low, high = source[index], source[index + 1]
        return target[index] + (target[index + 1] - target[index]) * (value - low) / (high - low)


def build_timeline(snapshot: StagesSnapshot, *, now: datetime) -> Timeline:
    intervals = [_interval(stage, now) for stage in snapshot.stages]
    moments = [moment for interval in intervals for moment in interval if moment is not None]
    start, end = (min(moments), max(moments)) if moments else (None, None)
    axis = Axis([(moment - start).total_seconds() for moment in moments]) if start else Axis([])
    rows = tuple(
        _row(stage, index, interval, start, axis, now)
        for index, (stage, interval) in enumerate(zip(snapshot.stages, intervals, strict=True))
    )
    ticks = ()
    if start is not None:
        ticks = tuple(
            Tick(
                x=CHART_X + CHART_WIDTH * step / (TICKS - 1),
                label=moment_text(start, time_only=True)
                if step == 0
                else "+" + format_duration(axis.offset_at(CHART_WIDTH * step / (TICKS - 1))),
            )
            for step in range(TICKS)
        )
    return Timeline(rows=rows, ticks=ticks, legend=_legend(rows), start=start, end=end, to_scale=axis.to_scale)


def status_colour(status: str | None) -> str:
    return STATUS_COLOURS.get(status or "", OTHER_COLOUR)


def _interval(stage: Stage, now: datetime) -> tuple[datetime | None, datetime | None]:
    started = parse_time(stage.started_at)
    ended = parse_time(stage.completed_at)
    if started is not None and ended is None and stage.status == "running":
        ended = max(now, started)
    if started is not None and ended is not None and ended < started:
        ended = None
    return started, ended


def _row(stage, index, interval, origin, axis: Axis, now) -> Row:
    started, ended = interval
    status = stage.status or "unknown"
    bar_x, bar_width = None, 0.0
    if started is None:
        note = "not started" if status in NEVER_STARTED else "no start time"
    elif ended is None:
        bar_x, bar_width = axis.x((started - origin).total_seconds()), MIN_BAR
        note = "end time missing or before start"
    else:
        bar_x = axis.x((started - origin).total_seconds())
        bar_width = max(axis.x((ended - origin).total_seconds()) - bar_x, MIN_BAR)
        duration = format_duration((ended - started).total_seconds())
        note = f"{duration} so far" if stage.completed_at is None else duration
    note_x = CHART_X + 4 if bar_x is None else bar_x + bar_width + 6
    number = f"{stage.stage_number}. " if stage.stage_number is not None else ""
    tooltip = " · ".join(
        part
        for part in (
            f"{number}{stage.label}",
            stage.stage or "",
            status,
            _when("started", stage.started_at),
            _when("completed", stage.completed_at),
            note,
        )
        if part
    )
    return Row(
        stage=stage,
        y=TOP + index * ROW_HEIGHT,
        label=_shorten(number + stage.label, LABEL_UNITS),
        status=status,
        colour=status_colour(stage.status),
        bar_x=bar_x,
        bar_width=bar_width,
        note=note,
        note_x=note_x,
        tooltip=tooltip,
    )


def _when(event: str, stored) -> str:
    """ "started Nov. 23, 2025, noon UTC", or the stored value as it is when it is not a time."""
    if not stored:
        return ""
    moment = parse_time(stored)
    return f"{event} {moment_text(moment)} UTC" if moment else f"{event} {stored}"


def _legend(rows: tuple[Row, ...]) -> tuple[LegendEntry, ...]:
    entries, x = [], LABEL_X
    for status, colour in {row.status: row.colour for row in rows}.items():
        entries.append(LegendEntry(x=x, status=status, colour=colour))
        x += 30 + 7 * _display_units(status)
    return tuple(entries)


def _display_units(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _shorten(text: str, units: int) -> str:
    if _display_units(text) <= units:
        return text
    kept, used = "", 0
    for char in text:
        used += _display_units(char)
        if used > units - 1:
            break
        kept += char
    return kept + "…"
