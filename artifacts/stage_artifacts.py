"""The files build stages produced, as recorded in `AgentProjects.stages_snapshot`
(`stages[].output_data.artifacts`); there is no table of its own for them.

Read-only and tolerant: the snapshot is read by the projects parser, and one that cannot be read
becomes an error row, never an exception.
"""

from dataclasses import dataclass

from core.display import clean_text
from core.dynamo.paging import Page
from projects.gateway import SNAPSHOT, ProjectsGateway
from projects.snapshot import SnapshotReading


@dataclass(frozen=True)
class StageArtifact:
    project_id: str
    stage: str | None = None
    stage_name: str | None = None
    stage_status: str | None = None
    path: str | None = None
    error: str | None = None  # set when the snapshot could not be read
    more: int = 0  # files of this project past MAX_FILES_PER_PROJECT, left for its own page


# A project may record a hundred thousand files; the page lists the first ones of each project.
MAX_FILES_PER_PROJECT = 100


def stage_artifacts(project_id: str, reading: SnapshotReading) -> list[StageArtifact]:
    """One row per recorded file of each stage, in stage order; one error row for an unreadable snapshot."""
    if reading.error:
        return [StageArtifact(project_id, error=f"stages_snapshot: {reading.error}")]
    if reading.snapshot is None:
        return []
    files = ((stage, path) for stage in reading.snapshot.stages for path in stage.artifacts)
    rows = []
    for number, (stage, path) in enumerate(files):
        if number == MAX_FILES_PER_PROJECT:
            total = sum(len(stage.artifacts) for stage in reading.snapshot.stages)
            rows.append(StageArtifact(project_id, more=total - MAX_FILES_PER_PROJECT))
            break
        texts = (stage.stage, stage.stage_name, stage.status, path)
        rows.append(StageArtifact(project_id, *(None if text is None else clean_text(text) for text in texts)))
    return rows


def stage_artifacts_page(*, cursor: str | None, limit: int) -> Page[StageArtifact]:
    """The stage artifacts of up to `limit` projects: one Scan of AgentProjects reading only
    `project_id` and `stages_snapshot`. Projects without files add no rows, so a page may be
    empty while there is a next one."""
    page = ProjectsGateway().page(limit=limit, cursor=cursor, fields=[SNAPSHOT])
    rows = [row for record in page.items for row in stage_artifacts(record.project_id, record.snapshot)]
    return Page(items=rows, next_cursor=page.next_cursor)
