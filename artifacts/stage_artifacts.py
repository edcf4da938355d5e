"""The files build stages produced, as recorded in `AgentProjects.stages_snapshot`
(`stages[].output_data.artifacts`); there is no table of its own for them.

Read-only and tolerant: a snapshot is stored as a JSON string or as a map, and may be malformed
or hold wrong types; what cannot be read becomes an error row, never an exception.
"""

from dataclasses import dataclass
from typing import Any

from core.dynamo.connection import dynamodb_table
from core.dynamo.expressions import expression_kwargs
from core.dynamo.paging import Page, read_page
from core.tables import PROJECTS

from .records import parse_json_object


@dataclass(frozen=True)
class StageArtifact:
    project_id: str
    stage: str | None = None
    stage_name: str | None = None
    stage_status: str | None = None
    path: str | None = None
    error: str | None = None  # set when this part of the snapshot could not be read


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def stage_artifacts(project_id: str, snapshot: Any) -> list[StageArtifact]:
    """One row per recorded file of each stage, in stage order; error rows for unreadable parts."""
    if snapshot is None:
        return []
    parsed, error = parse_json_object(snapshot)
    if error:
        return [StageArtifact(project_id, error=f"stages_snapshot: {error}")]
    stages = parsed.get("stages", [])
    if not isinstance(stages, list):
        return [StageArtifact(project_id, error="stages_snapshot.stages is not a list")]
    rows = []
    for number, stage in enumerate(stages):
        if not isinstance(stage, dict):
            rows.append(StageArtifact(project_id, error=f"stages[{number}] is not an object"))
            continue
        where = {
            "project_id": project_id,
            "stage": _text(stage.get("stage")),
            "stage_name": _text(stage.get("stage_name")),
            "stage_status": _text(stage.get("status")),
        }
        output = stage.get("output_data") or {}
        paths = output.get("artifacts", []) if isinstance(output, dict) else None
        if not isinstance(paths, list):
            rows.append(StageArtifact(**where, error=f"stages[{number}].output_data.artifacts is not a list"))
            continue
        for path in paths:
            if isinstance(path, str):
                rows.append(StageArtifact(**where, path=path))
            else:
                rows.append(StageArtifact(**where, error=f"an artifact path is a {type(path).__name__}: {path!r}"))
    return rows


def stage_artifacts_page(*, cursor: str | None, limit: int) -> Page[StageArtifact]:
    """The stage artifacts of up to `limit` projects: one Scan of AgentProjects reading only
    `project_id` and `stages_snapshot`. Projects without files add no rows, so a page may be
    empty while there is a next one."""
    table = dynamodb_table(PROJECTS.name)
    page = read_page(
        table,
        operation="scan",
        scope=f"stage-artifacts:{table.name}",
        limit=limit,
        cursor=cursor,
        **expression_kwargs(projection=["project_id", "stages_snapshot"]),
    )
    rows = [row for item in page.items for row in stage_artifacts(str(item["project_id"]), item.get("stages_snapshot"))]
    return Page(items=rows, next_cursor=page.next_cursor)
