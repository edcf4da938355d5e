"""`stages_snapshot`: read either storage form into a typed view, and change one stage without losing
anything upstream put there.

Upstream writers store the snapshot as a JSON string or as a DynamoDB map, in the same table:
`{"total": int, "completed": int, "stages": [stage, ...]}`. Reading never raises: a snapshot that
cannot be understood comes back as an error message next to the stored value. Changes work on the
whole document as stored, so unknown fields survive, and are written back in the form they came in.
"""

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.errors import Conflict, NotFound
from core.stored_json import read_json, write_json

STRING = "string"
MAP = "map"

STAGE_STATUSES = ("pending", "running", "completed", "failed", "skipped", "cancelled")
COMPLETED = "completed"

_TEXT_FIELDS = ("stage", "stage_name", "status", "started_at", "completed_at")


class MalformedSnapshot(Conflict):
    """A write needs the snapshot, which cannot be parsed; it must be repaired first."""

    code = "malformed_snapshot"


@dataclass(frozen=True)
class Stage:
    index: int
    stage: str | None
    stage_number: int | None
    stage_name: str | None
    status: str | None
    started_at: str | None
    completed_at: str | None
    error: Any
    artifacts: tuple[str, ...]
    logs: tuple[Any, ...]

    @property
    def label(self) -> str:
        return self.stage_name or self.stage or f"Stage {self.index + 1}"


@dataclass(frozen=True)
class StagesSnapshot:
    total: int | None
    completed: int | None
    stages: tuple[Stage, ...]

    @property
    def progress(self) -> tuple[int, int]:
        """(completed, total) as stored, counted from the stages where a counter is missing."""
        completed = sum(1 for stage in self.stages if stage.status == COMPLETED)
        return (
            completed if self.completed is None else self.completed,
            len(self.stages) if self.total is None else self.total,
        )


@dataclass(frozen=True)
class SnapshotReading:
    """What an item's `stages_snapshot` attribute holds, understood or not."""

    stored: Any  # the attribute exactly as read (None when absent)
    form: str | None  # STRING, MAP, or None when absent or of another type
    document: dict | None  # the parsed document, with every field it has
    snapshot: StagesSnapshot | None
    error: str | None

    @property
    def missing(self) -> bool:
        return self.stored is None


class InvalidSnapshot(ValueError):
    """Why a stored snapshot cannot be read, or a stage of it cannot be changed."""


def read_snapshot(stored: Any) -> SnapshotReading:
    """Parse a stored `stages_snapshot` (JSON string, map, or None when the attribute is absent)."""
    if stored is None:
        return SnapshotReading(stored=None, form=None, document=None, snapshot=None, error=None)
    form = STRING if isinstance(stored, str) else MAP if isinstance(stored, dict) else None
    try:
        if form is None:
            raise InvalidSnapshot(f"expected a JSON string or a map, found {_type_name(stored)}")
        document = _decode_json(stored) if form == STRING else stored
        snapshot = _typed(document)
    except InvalidSnapshot as err:
        return SnapshotReading(stored=stored, form=form, document=None, snapshot=None, error=str(err))
    return SnapshotReading(stored=stored, form=form, document=document, snapshot=snapshot, error=None)


def encode(document: dict, form: str) -> Any:
    """The document in the storage form it was read in. Numbers are written as they were read, and
    non-ASCII stays as UTF-8: a CJK character costs 3 bytes of the item's 400 KB instead of the 6
    of a `\\uXXXX` escape."""
    return write_json(document) if form == STRING else document


# ---- changes (pure: a new document, the one given is left as it was) ----


def writable_document(reading: SnapshotReading) -> dict:
    """The document a stage write changes. A field the typed view refuses but no write needs does
    not stop a write: seed 001's writer, once it has turned a map into text, stores numbers as
    strings (`"stage_number": "4"`). InvalidSnapshot when the document is not JSON, not an object,
    or its `stages` not a list."""
    if reading.error is None:
        return reading.document
    document = _decode_json(reading.stored) if reading.form == STRING else reading.stored
    if not isinstance(document, dict):
        raise InvalidSnapshot(reading.error)
    _optional(document, "stages", list, "'stages'")
    return document


def update_stage(document: dict, stage: str, *, fields: dict[str, Any], new_logs: Sequence[Any] = ()) -> dict:
    """Set `fields` on the stage identified by `stage` and append `new_logs` to its logs."""

    def change(entry: dict) -> None:
        logs = _optional(entry, "logs", list, f"the logs of stage {stage!r}") if new_logs else ()
        entry.update(fields)
        if new_logs:
            entry["logs"] = [*logs, *new_logs]

    return _with_stage_changed(document, stage, change)


def replace_stage_artifacts(document: dict, stage: str, artifacts: Sequence[str]) -> dict:
    """Replace `output_data.artifacts` of the stage identified by `stage`, creating `output_data`."""

    def change(entry: dict) -> None:
        output = _optional(entry, "output_data", dict, f"the output_data of stage {stage!r}")
        entry["output_data"] = {**output, "artifacts": list(artifacts)}

    return _with_stage_changed(document, stage, change)


def _with_stage_changed(document: dict, stage: str, change: Callable[[dict], None]) -> dict:
    changed = copy.deepcopy(document)
    stages = changed.get("stages") or []
    entries = [entry for entry in stages if isinstance(entry, dict)]
    matches = [entry for entry in entries if entry.get("stage") == stage]
    if not matches:
        known = ", ".join(repr(entry.get("stage")) for entry in entries if entry.get("stage")) or "none"
        raise NotFound(f"There is no stage {stage!r} in this project's stages_snapshot (its stages: {known}).")
    if len(matches) > 1:
        raise Conflict(f"Stage {stage!r} appears {len(matches)} times in the stages_snapshot; refusing to guess.")
    entry = matches[0]
    was_completed = entry.get("status") == COMPLETED
    change(entry)
    # `total` is upstream's (the list may hold only some stages), so it is kept; `completed` moves
    # by this stage's transition alone, never recounted from a list that may be partial.
    step = (entry.get("status") == COMPLETED) - was_completed
    if step and _is_integer(changed.get("completed")):  # a counter of another type is upstream's to fix
        changed["completed"] = max(changed["completed"] + step, 0)
    return changed


# ---- parsing ----


def _decode_json(text: str) -> Any:
    try:
        return read_json(text)
    except ValueError as err:
        raise InvalidSnapshot(str(err)) from err


def _typed(document: Any) -> StagesSnapshot:
    if not isinstance(document, dict):
        raise InvalidSnapshot(f"expected an object with 'stages', found {_type_name(document)}")
    stages = _optional(document, "stages", list, "'stages'")
    return StagesSnapshot(
        total=_optional_int(document, "total", "total"),
        completed=_optional_int(document, "completed", "completed"),
        stages=tuple(_typed_stage(entry, index) for index, entry in enumerate(stages)),
    )


def _typed_stage(entry: Any, index: int) -> Stage:
    where = f"stages[{index}]"
    if not isinstance(entry, dict):
        raise InvalidSnapshot(f"{where} must be an object, found {_type_name(entry)}")
    for name in _TEXT_FIELDS:
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise InvalidSnapshot(f"{where}.{name} must be a string, found {_type_name(entry[name])}")
    output = _optional(entry, "output_data", dict, f"{where}.output_data")
    artifacts = _optional(output, "artifacts", list, f"{where}.output_data.artifacts")
    if not all(isinstance(path, str) for path in artifacts):
        raise InvalidSnapshot(f"{where}.output_data.artifacts must hold strings only")
    logs = _optional(entry, "logs", list, f"{where}.logs")
    return Stage(
        index=index,
        stage=entry.get("stage"),
        stage_number=_optional_int(entry, "stage_number", f"{where}.stage_number"),
        stage_name=entry.get("stage_name"),
        status=entry.get("status"),
        started_at=entry.get("started_at"),
        completed_at=entry.get("completed_at"),
        error=entry.get("error"),
        artifacts=tuple(artifacts),
        logs=tuple(logs),
    )


def _optional(container: dict, name: str, kind: type[list] | type[dict], where: str) -> Any:
    """The list or object at `name`, empty when it is absent or null."""
    value = container.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise InvalidSnapshot(f"{where} must be {'a list' if kind is list else 'an object'}, found {_type_name(value)}")
    return value


def _optional_int(container: dict, name: str, where: str) -> int | None:
    value = container.get(name)
    if value is None:
        return None
    if _is_integer(value):
        return int(value)
    raise InvalidSnapshot(f"{where} must be an integer, found {_type_name(value)}")


def _is_integer(value: Any) -> bool:
    """An integer value in either storage form: 2, Decimal("2.0") from a map, 2.0 from JSON text."""
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
