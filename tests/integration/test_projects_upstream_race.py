"""The API's stage writes raced against seed 001's own stage writer (tests/seed_001_writer.py), on
a moto server that applies each request atomically, as DynamoDB does (`atomic_aws`).

Upstream's writer is a blind read-modify-write: when it reads before one of our writes and writes
after it, it overwrites that write, and nothing we do can prevent it. What we guarantee, and test:
our conditional writes never overwrite upstream's (its fields, numbers and counters are kept as it
last wrote them), and an acknowledged write of ours that no upstream read-modify-write overlapped
is never lost.
"""

import json
import random
import re
import threading
import time
from decimal import Decimal
from functools import partial

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table, watch_calls
from tests.seed_001_writer import record_stage_artifacts
from tests.threads import in_threads

pytestmark = pytest.mark.django_db

COST = "0.12345678901234567890123"  # more digits than a float holds


def snapshot(form: str):
    document = {
        "total": 6,  # the build has six stages; upstream lists those it has reached
        "completed": 1,
        "pipeline": "v7",
        "stages": [
            {"stage": "requirements", "stage_number": 1, "stage_name": "需求分析", "status": "completed"},
            {"stage": "prompt", "stage_number": 4, "stage_name": "提示词工程", "status": "running"},
            {"stage": "ours_a", "stage_number": 5, "stage_name": "工具开发", "status": "running"},
            {"stage": "ours_b", "stage_number": 6, "stage_name": "代码生成", "status": "pending"},
        ],
    }
    if form == "map":
        return {**document, "cost": Decimal(COST)}
    return json.dumps(document, ensure_ascii=False).replace('"pipeline"', f'"cost": {COST}, "pipeline"')


def put_project(form: str) -> None:
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(Item={"project_id": "proj_race", "status": "running", "stages_snapshot": snapshot(form)})


def stored_snapshot():
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    return table.get_item(Key={"project_id": "proj_race"}, ConsistentRead=True)["Item"]["stages_snapshot"]


@pytest.fixture
def new_client(atomic_aws, superuser):
    def new() -> APIClient:
        client = APIClient()
        client.force_authenticate(superuser)
        return client

    return new


def upstream_write(stage_name: str, paths: list[str]) -> str:
    """Seed 001's writer in a thread of its own (its own boto3 client, as another process has)."""
    written = []
    failures = in_threads(
        lambda: written.append(
            record_stage_artifacts(dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE), "proj_race", stage_name, paths)
        )
    )
    assert failures == []
    return written[0]


OUR_WRITES = {
    "stage_patch": lambda client: client.patch(
        "/api/projects/proj_race/stages/ours_a/", {"status": "completed", "logs": ["ours"]}, format="json"
    ),
    "artifacts_put": lambda client: client.put(
        "/api/projects/proj_race/stages/ours_a/artifacts/", {"artifacts": ["ours/tool.py"]}, format="json"
    ),
}


@pytest.mark.parametrize("form", ["string", "map"])
@pytest.mark.parametrize("write", OUR_WRITES)
def test_upstream_writing_between_our_read_and_write_is_kept_and_ours_applied(new_client, form, write):
    """The interleaving our condition exists for, forced: we read, seed 001's writer writes the whole
    snapshot, we write. Our write must fail its condition, read again and apply on top of upstream's."""
    put_project(form)
    upstream_wrote = []

    def upstream_first(**_kwargs):
        if not upstream_wrote:
            upstream_wrote.append(upstream_write("需求分析", ["docs/requirements.md"]))

    client = dynamodb_client()  # this thread's, the one the API request below uses
    client.meta.events.register("before-call.dynamodb.UpdateItem", upstream_first)
    try:
        with watch_calls() as calls:
            response = OUR_WRITES[write](new_client())
    finally:
        client.meta.events.unregister("before-call.dynamodb.UpdateItem", upstream_first)

    assert response.status_code == 200, response.content
    assert [operation for _, operation in calls].count("UpdateItem") == 3  # ours, upstream's, ours again
    final = stored_snapshot()
    assert isinstance(final, str)  # upstream's writer stores text, whatever the form was: kept
    expected = json.loads(upstream_wrote[0])  # exactly what upstream wrote, but for our one stage
    ours = expected["stages"][2]
    if write == "stage_patch":
        ours.update(status="completed", logs=["ours"])
        if isinstance(expected["completed"], int):  # a counter upstream turned into text is left alone
            expected["completed"] += 1
    else:
        ours["output_data"] = {"artifacts": ["ours/tool.py"]}
    assert json.loads(final) == expected
    # Upstream's numbers keep their text: its float's digits, or the string its default=str made of
    # a map's Decimal. (Escaped non-ASCII comes back as UTF-8: the same characters, a third the size.)
    cost = re.search(r'"cost": ("[^"]*"|[^,}]+)', upstream_wrote[0]).group()
    assert cost in final and cost == ('"cost": 0.12345678901234568' if form == "string" else f'"cost": "{COST}"')


@pytest.mark.parametrize("form", ["string", "map"])
def test_racing_seed_001_s_writer_loses_no_write_of_ours_it_did_not_overlap(new_client, form):
    put_project(form)
    windows_lock = threading.Lock()
    upstream_windows: list[tuple[float, float, str, list[str]]] = []
    ours: list[tuple[float, float, str, int]] = []  # (start, end, log line, status)
    upstream_rounds, our_threads, our_rounds = 8, 3, 10

    def upstream() -> None:
        table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)  # this thread's, built before timing
        for round_number in range(upstream_rounds):
            stage_name = ("需求分析", "提示词工程")[round_number % 2]
            paths = [f"up/{round_number}.md"]
            start = time.monotonic()
            record_stage_artifacts(table, "proj_race", stage_name, paths)
            with windows_lock:
                upstream_windows.append((start, time.monotonic(), stage_name, paths))
            time.sleep(random.uniform(0.1, 0.2))  # a pipeline between stages: ours can run clear

    def our_writer(n: int) -> None:
        client = new_client()
        for round_number in range(our_rounds):
            line = f"w{n}-{round_number}"
            stage = ("ours_a", "ours_b")[n % 2]
            start = time.monotonic()
            response = client.patch(f"/api/projects/proj_race/stages/{stage}/", {"logs": [line]}, format="json")
            with windows_lock:
                ours.append((start, time.monotonic(), line, response.status_code))
            time.sleep(random.uniform(0, 0.05))

    failures = in_threads(upstream, *(partial(our_writer, n) for n in range(our_threads)))
    assert failures == []

    final = json.loads(stored_snapshot())
    logs = [line for stage in final["stages"][2:] for line in stage.get("logs", [])]
    assert len(logs) == len(set(logs))  # no write applied twice
    # Upstream's writes are never overwritten by ours: each of its stages ends as it last wrote it.
    for stage_name, stage in (("需求分析", final["stages"][0]), ("提示词工程", final["stages"][1])):
        last = [paths for _, _, name, paths in upstream_windows if name == stage_name][-1]
        assert stage["output_data"]["artifacts"] == last
    assert final["total"] in (6, "6") and final["pipeline"] == "v7"
    # Every acknowledged write of ours that no upstream read-modify-write overlapped is there.
    acknowledged = [(start, end, line) for start, end, line, status in ours if status == 200]
    assert len(acknowledged) == our_threads * our_rounds  # none exhausted its retries
    clear = [
        line
        for start, end, line in acknowledged
        if all(end < up_start or start > up_end for up_start, up_end, _, _ in upstream_windows)
    ]
    assert len(clear) >= 3, "the race never left a write of ours clear of upstream's: nothing was checked"
    assert set(clear) <= set(logs)
