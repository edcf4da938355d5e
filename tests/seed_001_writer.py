"""Seed 001's stage writer, as the build pipeline runs it (`_record_stage_artifacts`, the proposed
implementation in ../shared/seeds/001): a read-modify-write of the whole `stages_snapshot`,
matching the stage by `stage_name`, written back blind (no condition) as a JSON string made by
`json.dumps(..., default=str)`. It is other services' code, reproduced faithfully so that the
project's writes can be raced against it; only its blanket `except Exception: log` is left out, so
that a test sees what fails."""

import json
from datetime import UTC, datetime


def record_stage_artifacts(table, project_id: str, stage_name: str, artifact_paths: list[str]) -> str | None:
    """Returns the snapshot text it wrote (None when it wrote nothing), for the tests to compare."""
    if not artifact_paths:
        return None
    project = table.get_item(Key={"project_id": project_id}).get("Item")
    if not project:
        return None
    stages_snapshot = project.get("stages_snapshot")
    if isinstance(stages_snapshot, str):
        stages_snapshot = json.loads(stages_snapshot)
    if not isinstance(stages_snapshot, dict) or "stages" not in stages_snapshot:
        return None
    for stage_entry in stages_snapshot["stages"]:
        if stage_entry.get("stage_name") == stage_name:
            if "output_data" not in stage_entry:
                stage_entry["output_data"] = {}
            stage_entry["output_data"]["artifacts"] = artifact_paths
            break
    serialized_snapshot = json.dumps(stages_snapshot, default=str)
    table.update_item(
        Key={"project_id": project_id},
        UpdateExpression="SET stages_snapshot = :snapshot, updated_at = :updated_at",
        ExpressionAttributeValues={
            ":snapshot": serialized_snapshot,
            ":updated_at": datetime.utcnow().replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        },
    )
    return serialized_snapshot
