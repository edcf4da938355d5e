"""Writes on items other services wrote: what a write does not change stays as it was (numbers to
the digit, every DynamoDB type, upstream's counters), and whatever a request holds or DynamoDB
refuses is a 400 with the reason, never a 500."""

import json
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import Binary
from django.conf import settings
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_table
from jobs.steps_store import ExecutionStepsStore, steps_key
from projects import services

# Every type a DynamoDB map can hold, as upstream may have put them in its snapshot.
ODD_STAGE = {
    "stage": "upstream_only",
    "blob": Binary(b"\xff\xfe\x00"),
    "tags": {"a", "b"},
    "sizes": {Decimal("1.5"), Decimal("12345678901234567890123456789012345678")},
    "blobs": {Binary(b"\x00"), Binary(b"\xff")},
    "nothing": None,
    "flag": False,
    "ratio": Decimal("0.12345678901234567890123"),
    "huge": Decimal("9.9E+125"),
    "nested": {"deeper": [Binary(b"\x80"), {"n": Decimal("-1E-130")}]},
}


@pytest.fixture
def table(aws):
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


def wire_item(project_id: str) -> dict:
    """The item as DynamoDB sends it (type tags included), to compare types as well as values."""
    client = boto3.client("dynamodb", endpoint_url=settings.AWS_ENDPOINT_URL_DYNAMODB)  # no Table resource's typing
    return client.get_item(TableName=settings.DYNAMODB_PROJECTS_TABLE, Key={"project_id": {"S": project_id}})["Item"]


def test_a_stage_write_on_a_map_snapshot_keeps_every_other_value_with_its_type(table):
    snapshot = {
        "total": 6,
        "completed": Decimal("2.0"),
        "upstream": Binary(b"\x01\x02"),
        "stages": [{"stage": "ours", "status": "running"}, ODD_STAGE],
    }
    table.put_item(Item={"project_id": "proj_odd", "stages_snapshot": snapshot})
    before = wire_item("proj_odd")["stages_snapshot"]["M"]

    services.stage_update(project_id="proj_odd", stage="ours", changes={"status": "completed"})
    services.stage_replace_artifacts(project_id="proj_odd", stage="ours", artifacts=["out/a.txt"])

    after = wire_item("proj_odd")["stages_snapshot"]["M"]
    assert after["stages"]["L"][1] == before["stages"]["L"][1]  # the odd stage, type for type
    assert after["upstream"] == before["upstream"] and after["total"] == {"N": "6"}
    assert Decimal(after["completed"]["N"]) == 3  # moved by the transition
    ours = after["stages"]["L"][0]["M"]
    assert ours["status"] == {"S": "completed"}
    assert ours["output_data"] == {"M": {"artifacts": {"L": [{"S": "out/a.txt"}]}}}


@pytest.mark.django_db
def test_a_stage_patch_keeps_the_numbers_of_a_string_snapshot_as_written(table, api):
    stored = (
        '{"total": 6, "completed": 2.0, "cost": 0.12345678901234567890123, "stages": ['
        '{"stage": "a", "stage_number": 1.0, "tokens": 1e5, "scores": [1E-7, -0.0, 123456789012345678901234567890]}, '
        '{"stage": "b", "status": "running"}]}'
    )
    table.put_item(Item={"project_id": "proj_numbers", "stages_snapshot": stored})
    response = api.patch("/api/projects/proj_numbers/stages/b/", {"status": "completed"}, format="json")
    assert response.status_code == 200
    assert response.json()["stages_snapshot"]["total"] == 6  # 2.0 is an integer value: not malformed
    written = table.get_item(Key={"project_id": "proj_numbers"})["Item"]["stages_snapshot"]
    assert written == stored.replace('"completed": 2.0', '"completed": 3.0').replace(
        '"status": "running"', '"status": "completed"'
    )


def test_a_stage_write_keeps_a_lone_surrogate_upstream_stored_as_its_escape(table):
    stored = '{"stages": [{"stage": "a", "stage_name": "bad \\ud800"}, {"stage": "b"}]}'
    table.put_item(Item={"project_id": "proj_surrogate", "stages_snapshot": stored})
    services.stage_update(project_id="proj_surrogate", stage="b", changes={"status": "running"})
    written = table.get_item(Key={"project_id": "proj_surrogate"})["Item"]["stages_snapshot"]
    assert '"stage_name": "bad \\ud800"' in written and '"status": "running"' in written


@pytest.mark.django_db
def test_numbers_other_sdks_store_with_more_than_38_digits_are_read_listed_and_kept(table, api):
    """`1234567895171680000000000000000000000000` has 16 significant digits: DynamoDB holds it as
    another SDK wrote it, and one such number used to make every read of its item fail."""
    long_number = "1234567895171680000000000000000000000000"
    client = boto3.client("dynamodb", endpoint_url=settings.AWS_ENDPOINT_URL_DYNAMODB)
    client.put_item(
        TableName=settings.DYNAMODB_PROJECTS_TABLE,
        Item={
            "project_id": {"S": "proj_long"},
            "budget": {"N": long_number},
            "stages_snapshot": {
                "M": {"stages": {"L": [{"M": {"stage": {"S": "a"}, "tokens": {"N": "1" + "0" * 45}}}]}}
            },
        },
    )
    assert api.get("/api/projects/").status_code == 200
    assert api.get("/api/projects/proj_long/").status_code == 200
    assert api.patch("/api/projects/proj_long/stages/a/", {"status": "running"}, format="json").status_code == 200
    item = table.get_item(Key={"project_id": "proj_long"})["Item"]
    assert item["budget"] == Decimal(long_number)
    assert item["stages_snapshot"]["stages"][0]["tokens"] == 10**45


@pytest.mark.django_db
def test_exact_numbers_survive_a_write_and_the_api_answer_of_both_forms(table, api):
    """Read exactly, written back exactly, answered exactly: the writer's side and the renderer's."""
    table.put_item(
        Item={
            "project_id": "proj_exact_string",
            "stages_snapshot": '{"stages": [{"stage": "a", "cost": 0.12345678901234567890123, "n": 1e5}]}',
        }
    )
    table.put_item(
        Item={
            "project_id": "proj_exact_map",
            "stages_snapshot": {"stages": [{"stage": "a", "cost": Decimal("0.12345678901234567890123")}]},
        }
    )
    for project_id in ("proj_exact_string", "proj_exact_map"):
        response = api.patch(f"/api/projects/{project_id}/stages/a/", {"status": "running"}, format="json")
        assert response.status_code == 200
        assert b'"cost":0.12345678901234567890123' in response.content.replace(b" ", b"")
        assert json.loads(response.content, parse_float=Decimal)["stages_snapshot"]["stages"][0]["cost"] == Decimal(
            "0.12345678901234567890123"
        )


@pytest.mark.django_db
def test_numbers_of_offloaded_steps_are_answered_exactly(aws, api):
    store = ExecutionStepsStore()
    key = steps_key("job_exact")
    body = b'[{"step_order": 1, "duration_ms": 1500.25, "cost": 0.12345678901234567890123}]'
    store.storage.s3_client().put_object(Bucket=store.bucket, Key=key, Body=body)
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(
        Item={"job_id": "job_exact", "status": "done", "execution_steps_s3_key": key}
    )
    response = api.get("/api/jobs/job_exact/")
    assert response.status_code == 200
    assert b'"cost":0.12345678901234567890123' in response.content.replace(b" ", b"")


@pytest.mark.django_db
def test_numbers_of_inline_steps_are_answered_exactly(aws, api):
    step = {"step_order": 1, "cost": Decimal("0.12345678901234567890123"), "raw": Binary(b"\xff")}
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(
        Item={"job_id": "job_inline_exact", "status": "done", "execution_steps": [step]}
    )
    response = api.get("/api/jobs/job_inline_exact/")
    assert response.status_code == 200
    assert b'"cost":0.12345678901234567890123' in response.content.replace(b" ", b"")
    assert response.json()["execution_steps"][0]["raw"] == {"$binary": "/w=="}


@pytest.mark.django_db
def test_a_write_on_an_item_holding_odd_values_applies_and_answers_200(table, api):
    """Binary that is not UTF-8 and sets, in the snapshot and beside it: the write is applied, and
    its answer is rendered (it used to apply, then answer 500)."""
    table.put_item(
        Item={
            "project_id": "proj_odd_api",
            "raw": Binary(b"\xff\xfe"),
            "stages_snapshot": {"stages": [{"stage": "ours"}, ODD_STAGE]},
        }
    )
    patched = api.patch("/api/projects/proj_odd_api/stages/ours/", {"logs": ["x"]}, format="json")
    replaced = api.put("/api/projects/proj_odd_api/stages/ours/artifacts/", {"artifacts": ["a"]}, format="json")
    assert (patched.status_code, replaced.status_code) == (200, 200)
    stored = table.get_item(Key={"project_id": "proj_odd_api"})["Item"]["stages_snapshot"]["stages"]
    assert stored[0] == {"stage": "ours", "logs": ["x"], "output_data": {"artifacts": ["a"]}}
    assert stored[1] == ODD_STAGE
