"""Writes to projects, one function per operation, shared by the API, the admin and commands."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from core.errors import InvalidInput
from core.timestamps import utc_iso

from .gateway import ProjectRecord, ProjectsGateway
from .snapshot import replace_stage_artifacts, update_stage

# Top-level attributes that describe a build's progress. The key, `stages_snapshot` (changed
# stage by stage instead), `created_at`, `updated_at` (set on every write) and the requirement
# are never written through a progress update.
PROGRESS_FIELDS = ("status", "current_stage", "progress", "name", "data", "error")
STAGE_FIELDS = ("status", "started_at", "completed_at", "error")


def project_update(
    *, project_id: str, changes: Mapping[str, Any], gateway: ProjectsGateway | None = None
) -> ProjectRecord:
    """Set top-level progress attributes of an existing project; a None value removes one."""
    if not changes:
        raise InvalidInput(f"Nothing to update: give at least one of {', '.join(PROGRESS_FIELDS)}.")
    _refuse_unknown(changes, PROGRESS_FIELDS, "progress attribute")
    values = {name: value for name, value in changes.items() if value is not None}
    remove = [name for name, value in changes.items() if value is None]
    return (gateway or ProjectsGateway()).update_attributes(project_id, values=values, remove=remove)


def stage_update(
    *,
    project_id: str,
    stage: str,
    changes: Mapping[str, Any],
    new_logs: Sequence[str] = (),
    gateway: ProjectsGateway | None = None,
) -> ProjectRecord:
    """Set fields of one stage (matched by its `stage` identifier) and append to its logs;
    `completed` moves by one when the stage enters or leaves "completed", `total` is kept."""
    if not changes and not new_logs:
        raise InvalidInput(f"Nothing to update: give logs or at least one of {', '.join(STAGE_FIELDS)}.")
    _refuse_unknown(changes, STAGE_FIELDS, "stage field")
    fields = {name: utc_iso(value) if isinstance(value, datetime) else value for name, value in changes.items()}
    return (gateway or ProjectsGateway()).modify_snapshot(
        project_id, lambda document: update_stage(document, stage, fields=fields, new_logs=list(new_logs))
    )


def stage_replace_artifacts(
    *, project_id: str, stage: str, artifacts: Sequence[str], gateway: ProjectsGateway | None = None
) -> ProjectRecord:
    """Replace the `output_data.artifacts` of one stage (matched by its `stage` identifier)."""
    return (gateway or ProjectsGateway()).modify_snapshot(
        project_id, lambda document: replace_stage_artifacts(document, stage, list(artifacts))
    )


def _refuse_unknown(changes: Mapping[str, Any], allowed: Sequence[str], kind: str) -> None:
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise InvalidInput(f"Not a writable {kind}: {', '.join(refused)}. Writable: {', '.join(allowed)}.")
