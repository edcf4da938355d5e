"""Many writers at once through the API: threads, each with its own DRF test client, run the whole
Django and DRF request handling at the same time against a moto server that serves one AWS request
at a time, as DynamoDB applies each conditional write atomically (see `atomic_moto_server`).
Every writer's reads and writes interleave freely with the others'.

What must hold afterwards: no acknowledged update is lost, a 409 (retries exhausted) applied
nothing, no job holds both inline steps and a key, and any S3 object no job references is one the
stale-key scan reports.
"""

import json
import threading
from functools import partial

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_table
from jobs.gateway import STEPS, STEPS_KEY
from jobs.repairs.findings import ORPHAN_OBJECT
from jobs.repairs.scanner import stale_keys_scan
from jobs.steps_store import ExecutionStepsStore, steps_key
from tests.threads import in_threads

pytestmark = pytest.mark.django_db

WRITERS = 24
ROUNDS = 2
STAGES = 12
LARGE = 350_000  # characters of output: past EXECUTION_STEPS_OFFLOAD_BYTES (307,200), so offloaded


@pytest.fixture
def new_client(atomic_aws, superuser):
    """A client per thread, as the superuser (authentication is tested apart; here it would only
    add database reads from many threads)."""

    def new() -> APIClient:
        client = APIClient()
        client.force_authenticate(superuser)
        return client

    return new


def hammer(work, count: int) -> list[BaseException]:
    """Run work(n) in `count` threads that start together; return what any of them raised."""
    start = threading.Barrier(count)

    def main(n: int) -> None:
        start.wait(timeout=30)
        work(n)

    return in_threads(*(partial(main, n) for n in range(count)))


def stored(table_setting: str, key: dict) -> dict:
    return dynamodb_table(getattr(settings, table_setting)).get_item(Key=key, ConsistentRead=True)["Item"]


# ---- one project's stages -------------------------------------------------------------------------


def test_writers_of_one_project_s_stages_lose_nothing(new_client):
    # The snapshot as a JSON string (the map form is raced the same way in test_projects_concurrency).
    document = {
        "total": STAGES,
        "completed": 0,
        "pipeline": "v7",  # a field we do not know: kept by every write
        "stages": [{"stage": f"s{n}", "stage_name": f"阶段 {n}", "status": "running"} for n in range(STAGES)],
    }
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={"project_id": "race", "status": "running", "owner": "pipeline", "stages_snapshot": json.dumps(document)}
    )
    url = "/api/projects/race"
    results: dict[int, list[tuple[str, object, int]]] = {n: [] for n in range(WRITERS)}

    def writer(n: int) -> None:
        # Two writers per stage append logs; one of them also replaces its artifacts; everyone
        # sets a top-level attribute; writers of even stages complete them at the end.
        client, stage = new_client(), f"s{n % STAGES}"
        for round_ in range(ROUNDS):
            line = f"w{n}-r{round_}"
            response = client.patch(f"{url}/stages/{stage}/", {"logs": [line]}, format="json")
            results[n].append(("log", line, response.status_code))
            if n < STAGES:
                paths = [f"out/{n}/{round_}.txt"]
                response = client.put(f"{url}/stages/{stage}/artifacts/", {"artifacts": paths}, format="json")
                results[n].append(("artifacts", paths, response.status_code))
        response = client.patch(f"{url}/", {"current_stage": stage}, format="json")
        results[n].append(("current_stage", stage, response.status_code))
        if n % STAGES % 2 == 0:
            response = client.patch(f"{url}/stages/{stage}/", {"status": "completed"}, format="json")
            results[n].append(("completed", stage, response.status_code))

    assert hammer(writer, WRITERS) == []
    statuses = [status for outcomes in results.values() for _, _, status in outcomes]
    assert set(statuses) <= {200, 409}, statuses
    assert statuses.count(200) >= len(statuses) / 2  # retries resolve most conflicts

    item = stored("DYNAMODB_PROJECTS_TABLE", {"project_id": "race"})
    final = json.loads(item["stages_snapshot"])  # still a string: the storage form is kept
    stages = {stage["stage"]: stage for stage in final["stages"]}
    for n, outcomes in results.items():
        stage = stages[f"s{n % STAGES}"]
        logged = [line for kind, line, status in outcomes if kind == "log" and status == 200]
        refused = [line for kind, line, status in outcomes if kind == "log" and status == 409]
        own = [line for line in stage.get("logs", []) if line.startswith(f"w{n}-")]
        assert own == logged and not set(refused) & set(stage.get("logs", []))  # each once, in order
        written = [paths for kind, paths, status in outcomes if kind == "artifacts" and status == 200]
        if written:
            assert stage["output_data"]["artifacts"] == written[-1]
    completed = {
        stage
        for outcomes in results.values()
        for kind, stage, status in outcomes
        if kind == "completed" and status == 200
    }
    assert {name for name, stage in stages.items() if stage["status"] == "completed"} == completed
    assert final["total"] == STAGES and final["pipeline"] == "v7"
    assert final["completed"] == sum(1 for stage in final["stages"] if stage["status"] == "completed")
    assert item["owner"] == "pipeline" and item["current_stage"] in stages


# ---- one job's steps ------------------------------------------------------------------------------


def steps_of(marker: str, large: bool) -> list[dict]:
    output = "x" * LARGE if large else "ok"
    return [{"step_order": 1, "step_name": marker, "output": output}, {"step_order": 2, "step_name": marker}]


def test_writers_of_one_job_s_steps_never_tear_it_or_leave_what_the_repair_cannot_find(new_client):
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(
        Item={"job_id": "race", "status": "running", "execution_steps": steps_of("seed", large=False)}
    )
    url = "/api/jobs/race/"
    results: dict[int, list[tuple[str, bool, int, dict]]] = {n: [] for n in range(WRITERS)}

    def writer(n: int) -> None:
        # Writers alternate small (inline) and large (offloaded to S3) steps; each update sets
        # `current_step` to the marker its steps carry, so a torn job is visible.
        client = new_client()
        for round_ in range(ROUNDS):
            marker, large = f"w{n}-r{round_}", (n + round_) % 2 == 0
            body = {"execution_steps": steps_of(marker, large), "current_step": marker}
            response = client.patch(url, body, format="json")
            results[n].append((marker, large, response.status_code, response.json()))

    assert hammer(writer, WRITERS) == []
    outcomes = [outcome for writes in results.values() for outcome in writes]
    assert {status for _, _, status, _ in outcomes} <= {200, 409}
    acknowledged = [outcome for outcome in outcomes if outcome[2] == 200]
    assert len(acknowledged) >= len(outcomes) / 2  # retries resolve most conflicts
    for marker, large, _, body in acknowledged:
        assert body["current_step"] == marker
        assert body["execution_steps_location"] == ("s3" if large else "inline")

    item = stored("DYNAMODB_JOBS_TABLE", {"job_id": "race"})
    assert not (STEPS in item and STEPS_KEY in item)
    marker = item["current_step"]
    assert marker in {outcome[0] for outcome in acknowledged}  # the last acknowledged write...
    store = ExecutionStepsStore()
    if STEPS_KEY in item:
        assert item[STEPS_KEY] == steps_key("race")
        final_steps = store.load(item[STEPS_KEY])  # ...its object exists (no dangling key)...
    else:
        final_steps = item[STEPS]
    assert {step["step_name"] for step in final_steps} == {marker}  # ...and holds its steps: not torn

    report = stale_keys_scan(min_orphan_age=0)
    unreferenced = {stored.key for stored in store.list_objects()} - {item.get(STEPS_KEY)}
    assert {(finding.kind, finding.s3_key) for finding in report.findings} == {
        (ORPHAN_OBJECT, key) for key in unreferenced
    }
