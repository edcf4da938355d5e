"""Odd values that other services can store, read back through every API endpoint and admin page:
each is shown safely (as text, or with an error value next to the item), never as a 500, and one
odd item never breaks the list that holds it."""

import json
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import Binary
from django.conf import settings

from core.dynamo.connection import dynamodb_table

LONE_SURROGATE_SNAPSHOT = '{"total": 1, "stages": [{"stage": "s1", "stage_name": "bad \\ud800", "status": "running"}]}'
HUGE_INTEGER = "9" * 400


@pytest.fixture
def tables(aws):
    return {
        "projects": dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE),
        "jobs": dynamodb_table(settings.DYNAMODB_JOBS_TABLE),
        "artifacts": dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE),
    }


@pytest.fixture
def api(client, superuser):
    client.force_login(superuser)
    return client


admin = api  # the same logged-in superuser, for admin pages


def nested(depth: int, leaf) -> object:
    for _ in range(depth):
        leaf = {"cause": leaf}
    return leaf


# ---- the API ----


@pytest.mark.django_db
def test_a_lone_surrogate_in_a_json_snapshot_is_replaced_and_reported_on_detail_and_list(tables, api):
    tables["projects"].put_item(
        Item={"project_id": "p1", "status": "running", "stages_snapshot": LONE_SURROGATE_SNAPSHOT}
    )
    tables["projects"].put_item(Item={"project_id": "p2", "status": "running"})
    detail = api.get("/api/projects/p1/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["stages_snapshot"]["stages"][0]["stage_name"] == "bad \ufffd"
    assert "stages_snapshot.stages[0].stage_name" in body["display_error"]
    listed = api.get("/api/projects/")
    assert listed.status_code == 200
    by_id = {project["project_id"]: project for project in listed.json()["results"]}
    assert set(by_id) == {"p1", "p2"} and by_id["p2"]["display_error"] is None


@pytest.mark.django_db
def test_a_write_on_an_item_with_a_lone_surrogate_applies_and_answers_200(tables, api):
    tables["projects"].put_item(
        Item={"project_id": "p1", "status": "running", "stages_snapshot": LONE_SURROGATE_SNAPSHOT}
    )
    response = api.patch("/api/projects/p1/", {"status": "failed"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "failed"
    assert tables["projects"].get_item(Key={"project_id": "p1"})["Item"]["status"] == "failed"


@pytest.mark.django_db
@pytest.mark.parametrize("resource, key", [("projects", "project_id"), ("jobs", "job_id")])
def test_binary_that_is_not_utf8_is_base64_with_a_marker_on_detail_and_list(tables, api, resource, key):
    tables[resource].put_item(
        Item={key: "odd", "blob": Binary(b"\xff\xfe"), "blobs": {Binary(b"\x01"), Binary(b"\x00")}}
    )
    detail = api.get(f"/api/{resource}/odd/")
    assert detail.status_code == 200
    assert detail.json()["blob"] == {"$binary": "//4="}
    assert detail.json()["blobs"] == [{"$binary": "AA=="}, {"$binary": "AQ=="}]
    listed = api.get(f"/api/{resource}/")
    assert listed.status_code == 200 and [item[key] for item in listed.json()["results"]] == ["odd"]


@pytest.mark.django_db
def test_an_artifact_holding_binary_where_text_belongs_is_listed_with_its_error(tables, api):
    odd = Binary(b"\xff\xfe")
    tables["artifacts"].put_item(
        Item={"artifact_id": "odd", "artifact": odd, "rating": odd, "url": odd, "name_normalized": odd}
    )
    detail = api.get("/api/artifacts/odd/")
    assert detail.status_code == 200
    assert detail.json()["artifact_error"] == "stored as a Binary, not a JSON string" and detail.json()["url"] is None
    listed = api.get("/api/artifacts/")
    assert listed.status_code == 200 and [item["artifact_id"] for item in listed.json()["results"]] == ["odd"]


@pytest.mark.django_db
def test_numbers_come_out_exact_as_json_numbers(tables, api):
    numbers = {
        "digits38": Decimal("12345678901234567890123456789012345678"),
        "huge": Decimal("1E+125"),
        "tiny": Decimal("-1E-130"),
        "fraction": Decimal("0.12345678901234567890123"),
        "zero": Decimal("-0"),
        "set": {Decimal("3"), Decimal("-2.5"), Decimal("10")},
    }
    tables["jobs"].put_item(Item={"job_id": "n1", **numbers})
    raw = api.get("/api/jobs/n1/").content.decode()
    assert '"digits38":12345678901234567890123456789012345678' in raw.replace(" ", "")
    body = json.loads(raw, parse_float=Decimal)
    assert body["huge"] == 10**125 and body["tiny"] == Decimal("-1E-130")
    assert body["fraction"] == Decimal("0.12345678901234567890123") and body["zero"] == 0
    assert body["set"] == [Decimal("-2.5"), 3, 10]


# ---- the admin ----


@pytest.mark.django_db
def test_a_400_digit_net_score_does_not_break_the_artifacts_changelist_or_page(tables, admin):
    tables["artifacts"].put_item(
        Item={
            "artifact_id": "a1",
            "artifact_type": "model",
            "url": "https://x.test/m",
            "rating": f'{{"net_score": {HUGE_INTEGER}}}',
        }
    )
    tables["artifacts"].put_item(Item={"artifact_id": "a2", "artifact_type": "model", "url": "https://x.test/n"})
    listed = admin.get("/admin/artifacts/artifact/")
    assert listed.status_code == 200 and "/admin/artifacts/artifact/a2/change/" in listed.content.decode()
    assert admin.get("/admin/artifacts/artifact/a1/change/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://[", "https://[::1", "http://x.test:99999999/", "javascript:alert(1)"])
def test_urls_that_do_not_parse_are_shown_as_text(tables, admin, url):
    tables["artifacts"].put_item(Item={"artifact_id": "a1", "artifact_type": "code", "url": url, "code_url": url})
    response = admin.get("/admin/artifacts/artifact/a1/change/")
    assert response.status_code == 200
    assert f'href="{url}"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "started, completed",
    [
        ("0001-01-01T00:00:00+05:00", "2025-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59-05:00", None),
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
    ],
)
def test_stage_dates_at_the_ends_of_pythons_range_do_not_break_the_project_page(tables, admin, started, completed):
    stage = {"stage": "s1", "status": "running", "started_at": started, "completed_at": completed}
    other = {
        "stage": "s2",
        "status": "completed",
        "started_at": "2025-01-01T00:00:00Z",
        "completed_at": "2025-01-01T00:01:00Z",
    }
    tables["projects"].put_item(Item={"project_id": "p1", "stages_snapshot": json.dumps({"stages": [stage, other]})})
    response = admin.get("/admin/projects/project/p1/change/")
    assert response.status_code == 200 and "s2" in response.content.decode()


@pytest.mark.django_db
def test_an_error_nested_600_levels_deep_does_not_break_the_project_page_or_api(tables, admin):
    snapshot = {"stages": [{"stage": "s1", "status": "failed", "error": nested(600, "boom")}]}
    tables["projects"].put_item(Item={"project_id": "p1", "stages_snapshot": json.dumps(snapshot)})
    page = admin.get("/admin/projects/project/p1/change/")
    assert page.status_code == 200
    assert "nested more than" in page.content.decode()
    body = admin.get("/api/projects/p1/").json()
    assert "nested more than" in body["display_error"]


def put_offloaded_steps(tables, job_id: str, steps_json: str) -> None:
    """A job whose steps an upstream worker offloaded: raw JSON text at the job's own key."""
    key = f"jobs/{job_id}/execution_steps.json"
    boto3.client("s3").put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=steps_json.encode())
    tables["jobs"].put_item(Item={"job_id": job_id, "status": "failed", "execution_steps_s3_key": key})


@pytest.mark.django_db
@pytest.mark.parametrize("duration", [HUGE_INTEGER, "1e308", "-5", "1.7976931348623157e308", '"12"', "true"])
def test_an_odd_duration_does_not_break_the_job_page(tables, admin, duration):
    put_offloaded_steps(
        tables,
        "j1",
        f'[{{"step_order": 1, "step_name": "a", "duration_ms": {duration}}}, '
        '{"step_order": 2, "step_name": "b", "duration_ms": 1500}, {"step_order": 3, "duration_ms": 1e308}]',
    )
    response = admin.get("/admin/jobs/job/j1/change/")
    assert response.status_code == 200 and "1.5s" in response.content.decode()
    assert admin.get("/api/jobs/j1/").status_code == 200


@pytest.mark.django_db
def test_stage_artifacts_page_shows_odd_text_and_a_bounded_number_of_files_per_project(tables, admin):
    many = {"stages": [{"stage": "s1", "output_data": {"artifacts": [f"f{n}" for n in range(250)]}}]}
    odd = '{"stages": [{"stage": "s\\ud800", "output_data": {"artifacts": ["bad \\udfff path"]}}]}'
    tables["projects"].put_item(Item={"project_id": "many", "stages_snapshot": json.dumps(many)})
    tables["projects"].put_item(Item={"project_id": "odd", "stages_snapshot": odd})
    response = admin.get("/admin/artifacts/artifact/stage-artifacts/")
    html = response.content.decode()
    assert response.status_code == 200 and "bad \ufffd path" in html
    assert ">f99</a></td>" in html
    assert "f100" not in html and "and 150 more files" in html


@pytest.mark.django_db
@pytest.mark.parametrize("linked", ["", "x" * 2049, "missing"])
def test_links_to_ids_dynamodb_cannot_hold_do_not_break_the_artifact_page(tables, admin, linked):
    tables["artifacts"].put_item(
        Item={
            "artifact_id": "a1",
            "artifact_type": "model",
            "url": "https://x.test/m",
            "dataset_id": linked,
            "code_id": linked,
        }
    )
    response = admin.get("/admin/artifacts/artifact/a1/change/")
    assert response.status_code == 200
    assert ("not in the registry" in response.content.decode()) == bool(linked)


@pytest.mark.django_db
def test_change_forms_show_odd_stored_text_safely(tables, admin):
    """A change form fills its fields from stored values: text that is not valid Unicode (from JSON
    text) and Binary are shown as the detail pages show them, never as a 500."""
    odd = Binary(b"\xff\xfe")
    tables["artifacts"].put_item(
        Item={"artifact_id": "odd", "name": odd, "url": odd, "rating": '{"net_score": "bad \\udfff"}'}
    )
    snapshot = '{"stages": [{"stage": "s1", "error": "e \\ud800", "output_data": {"artifacts": ["p \\ud800"]}}]}'
    tables["projects"].put_item(Item={"project_id": "odd", "status": odd, "stages_snapshot": snapshot})
    tables["jobs"].put_item(Item={"job_id": "odd", "status": odd, "error": odd})
    pages = {
        "/admin/artifacts/artifact/odd/change/": "\ufffd",
        "/admin/projects/project/odd/change/": "$binary",
        "/admin/projects/project/odd/stages/s1/": "\ufffd",
        "/admin/jobs/job/odd/change/": "$binary",
    }
    for url, shown in pages.items():
        response = admin.get(url)
        assert response.status_code == 200, url
        assert shown in response.content.decode(), url
