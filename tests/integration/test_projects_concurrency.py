"""Concurrent writers of one project's stages_snapshot, with real threads and real conditional writes.

DynamoDB applies each conditional write atomically. moto checks the condition and applies the
update as separate steps, so when requests run in parallel (its in-process mock under threads, or
its threaded server) two writers can pass the same condition and one update is lost whatever the
client does. These tests therefore use a moto server that handles one request at a time, which is
the per-request atomicity DynamoDB guarantees; the threads still interleave freely between their
reads and their writes, which is what the conditional writes must survive.
"""

import json
import threading
from collections import Counter
from functools import partial

import pytest
from django.conf import settings

from core.dynamo.connection import dynamodb_table, watch_calls
from projects import services
from projects.gateway import ProjectsGateway
from tests.threads import in_threads

WRITERS = 20


def stored_document(project_id: str):
    stored = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).get_item(Key={"project_id": project_id})["Item"]
    return stored["stages_snapshot"]


def put_project(project_id: str, form: str, stage_count: int) -> None:
    document = {
        "total": stage_count,
        "completed": 0,
        "stages": [{"stage": f"stage_{n}", "stage_name": f"阶段 {n}", "status": "running"} for n in range(stage_count)],
        "owner": "pipeline",
    }
    stored = json.dumps(document, ensure_ascii=False) if form == "string" else document
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={"project_id": project_id, "stages_snapshot": stored}
    )


def run_together(work, count: int) -> list[BaseException]:
    """Run work(n) in `count` threads; every thread has read before any of them writes."""
    everyone_has_read = threading.Barrier(count)

    def thread_main(n: int) -> None:
        gateway = ProjectsGateway()  # this thread's own boto3 resource
        held = []

        def hold_first_write(**_kwargs):
            if not held:
                held.append(True)
                everyone_has_read.wait(timeout=30)

        gateway.table.meta.client.meta.events.register("before-call.dynamodb.UpdateItem", hold_first_write)
        work(n, gateway)

    return in_threads(*(partial(thread_main, n) for n in range(count)))


@pytest.mark.parametrize("form", ["string", "map"])
def test_twenty_concurrent_artifact_writes_to_different_stages_all_survive(atomic_aws, form):
    put_project("proj_race", form, WRITERS)

    def write_artifacts(n, gateway):
        services.stage_replace_artifacts(
            project_id="proj_race", stage=f"stage_{n}", artifacts=[f"out/{n}/a.txt", f"out/{n}/b.txt"], gateway=gateway
        )

    with watch_calls() as calls:
        failures = run_together(write_artifacts, WRITERS)

    assert failures == []
    stored = stored_document("proj_race")
    assert isinstance(stored, str if form == "string" else dict)  # the storage form is kept
    document = json.loads(stored) if form == "string" else stored
    assert [stage["output_data"]["artifacts"] for stage in document["stages"]] == [
        [f"out/{n}/a.txt", f"out/{n}/b.txt"] for n in range(WRITERS)
    ]
    assert document["owner"] == "pipeline" and document["total"] == WRITERS
    # All read the same snapshot first, so all but one first write failed its condition and was retried.
    assert Counter(operation for _, operation in calls)["UpdateItem"] >= 2 * WRITERS - 1


def test_concurrent_stage_updates_keep_completed_and_logs_exact(atomic_aws):
    writers = 8
    put_project("proj_race", "map", writers)

    def complete_stage(n, gateway):
        services.stage_update(
            project_id="proj_race",
            stage=f"stage_{n}",
            changes={"status": "completed"},
            new_logs=[f"stage {n} done"],
            gateway=gateway,
        )

    assert run_together(complete_stage, writers) == []
    document = stored_document("proj_race")
    assert document["completed"] == writers and document["total"] == writers
    assert [stage["logs"] for stage in document["stages"]] == [[f"stage {n} done"] for n in range(writers)]
