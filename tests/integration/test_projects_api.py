"""The projects API (CONTRACT.md section 4) against moto: shapes, validation, errors, permissions."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table, watch_calls
from tests.integration.test_projects_gateway import SNAPSHOT

MALFORMED = '{"total": 6, "stages": [{"stage": "requirements_analyzer", "status": "comp'


@pytest.fixture
def table(aws):
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    items = [
        {"project_id": "proj_string", "status": "running", "stages_snapshot": json.dumps(SNAPSHOT, ensure_ascii=False)},
        {"project_id": "proj_map", "status": "completed", "stages_snapshot": SNAPSHOT, "progress": Decimal("62.5")},
        {"project_id": "proj_malformed", "status": "running", "stages_snapshot": MALFORMED},
        {"project_id": "proj_bare", "status": "pending", "requirement": "只有需求"},
    ]
    for item in items:
        table.put_item(Item=item)
    return table


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


def stored(table, project_id):
    return table.get_item(Key={"project_id": project_id})["Item"]


# ---- reads ----


@pytest.mark.django_db
def test_the_list_is_one_scan_and_returns_snapshots_as_objects_whatever_their_form(table, api):
    with watch_calls() as calls:
        response = api.get("/api/projects/")
    assert response.status_code == 200 and calls == [("dynamodb", "Scan")]
    body = response.json()
    assert body["next"] is None
    by_id = {project["project_id"]: project for project in body["results"]}
    assert set(by_id) == {"proj_string", "proj_map", "proj_malformed", "proj_bare"}
    assert by_id["proj_string"]["stages_snapshot"] == SNAPSHOT == by_id["proj_map"]["stages_snapshot"]
    assert by_id["proj_string"]["stages_snapshot_error"] is None and by_id["proj_map"]["progress"] == 62.5
    assert by_id["proj_malformed"]["stages_snapshot"] is None
    assert "invalid JSON" in by_id["proj_malformed"]["stages_snapshot_error"]
    assert by_id["proj_bare"]["stages_snapshot"] is None and by_id["proj_bare"]["stages_snapshot_error"] is None


@pytest.mark.django_db
def test_the_list_pages_with_next_links_and_filters_by_status(table, api):
    seen, url = [], "/api/projects/?status=running&limit=1"
    while url:
        body = api.get(url).json()
        seen += [project["project_id"] for project in body["results"]]
        url = body["next"]
        assert url is None or (url.startswith("http://testserver/api/projects/?") and "status=running" in url)
    assert sorted(seen) == ["proj_malformed", "proj_string"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["cursor=forged", "limit=0", "limit=201", "limit=ten", "status=" + "x" * 65])
def test_bad_list_queries_are_400_and_reach_no_table(table, api, query):
    with watch_calls() as calls:
        response = api.get(f"/api/projects/?{query}")
    assert response.status_code == 400 and response.json()["code"] in {"invalid", "invalid_cursor"}
    assert calls == []


@pytest.mark.django_db
def test_a_cursor_from_another_listing_is_refused(table, api):
    next_url = api.get("/api/projects/?limit=1").json()["next"]
    cursor = next_url.split("cursor=")[1]
    response = api.get(f"/api/projects/?status=running&limit=1&cursor={cursor}")
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_detail_of_each_form_and_of_a_malformed_snapshot(table, api):
    assert api.get("/api/projects/proj_map/").json()["stages_snapshot"]["stages"][1]["stage_name"] == "提示词工程"
    body = api.get("/api/projects/proj_malformed/").json()
    assert body["stages_snapshot"] is None and body["stages_snapshot_error"].startswith("invalid JSON")
    assert body["status"] == "running"


@pytest.mark.django_db
@pytest.mark.parametrize("project_id", ["proj_nope", "p" * 3000])
def test_unknown_projects_are_404(table, api, project_id):
    response = api.get(f"/api/projects/{project_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Project {project_id!r} does not exist.", "code": "not_found"}


# ---- progress updates ----


@pytest.mark.django_db
def test_progress_patch_writes_reserved_words_floats_and_removals(table, api):
    table.update_item(
        Key={"project_id": "proj_map"},
        UpdateExpression="SET #e = :e",
        ExpressionAttributeNames={"#e": "error"},
        ExpressionAttributeValues={":e": "old"},
    )
    response = api.patch(
        "/api/projects/proj_map/",
        {"status": "failed", "name": "Ünïcode 名字", "data": {"score": 0.25}, "progress": 12.5, "error": None},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["name"], body["data"], body["progress"]) == (
        "failed",
        "Ünïcode 名字",
        {"score": 0.25},
        12.5,
    )
    assert "error" not in body and body["stages_snapshot"] == SNAPSHOT
    item = stored(table, "proj_map")
    assert item["progress"] == Decimal("12.5") and item["updated_at"].endswith("Z") and "error" not in item


@pytest.mark.django_db
def test_progress_patch_of_an_unknown_project_is_404_not_an_upsert(table, api):
    response = api.patch("/api/projects/proj_new/", {"status": "running"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "Item" not in table.get_item(Key={"project_id": "proj_new"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"project_id": "proj_other"}, "project_id"),
        ({"stages_snapshot": "{}", "status": "x"}, "stages_snapshot"),
        ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
        ({"status": ""}, "status"),
        ({"status": 1.5}, "status"),
        ({"status": None}, "status"),
        ({"status": "x" * 65}, "status"),
        ({"name": ["a"]}, "name"),
        ({"progress": "50"}, "progress"),
        ({"progress": True}, "progress"),
        ({"progress": 100.5}, "progress"),
        ({"data": "text"}, "data"),
        ({"data": {"blob": "x" * 70_000}}, "data"),
        ({"data": json.loads('{"a":' * 20 + "1" + "}" * 20)}, "data"),
    ],
)
def test_progress_patch_refuses_bad_input_and_changes_nothing(table, api, body, field):
    before = stored(table, "proj_map")
    response = api.patch("/api/projects/proj_map/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]
    assert stored(table, "proj_map") == before


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["{}", "[]", "not json", '{"progress": NaN}'])
def test_progress_patch_needs_a_json_object_with_something_in_it(table, api, body):
    response = api.patch("/api/projects/proj_map/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]


# ---- stages ----


@pytest.mark.django_db
@pytest.mark.parametrize("project_id", ["proj_string", "proj_map"])
def test_stage_patch_updates_one_stage_and_keeps_counters_true(table, api, project_id):
    response = api.patch(
        f"/api/projects/{project_id}/stages/prompt_engineer/",
        {"status": "completed", "completed_at": "2025-11-23T20:10:00+08:00", "logs": ["  indented", "完成"]},
        format="json",
    )
    assert response.status_code == 200
    snapshot = response.json()["stages_snapshot"]
    stage = snapshot["stages"][1]
    assert stage["status"] == "completed" and stage["completed_at"] == "2025-11-23T12:10:00Z"
    assert stage["logs"] == ["  indented", "完成"] and (snapshot["completed"], snapshot["total"]) == (2, 3)
    again = api.patch(f"/api/projects/{project_id}/stages/prompt_engineer/", {"logs": ["more"]}, format="json")
    assert again.json()["stages_snapshot"]["stages"][1]["logs"] == ["  indented", "完成", "more"]
    kept = stored(table, project_id)["stages_snapshot"]
    assert isinstance(kept, str) == (project_id == "proj_string")


@pytest.mark.django_db
def test_stage_patch_can_clear_error_and_times(table, api):
    api.patch("/api/projects/proj_map/stages/prompt_engineer/", {"error": "timeout", "status": "failed"}, format="json")
    body = api.patch(
        "/api/projects/proj_map/stages/prompt_engineer/", {"error": None, "started_at": None}, format="json"
    ).json()
    stage = body["stages_snapshot"]["stages"][1]
    assert stage["error"] is None and stage["started_at"] is None and stage["status"] == "failed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done"}, "status"),
        ({"status": 3}, "status"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": 1700000000}, "started_at"),
        ({"logs": "one line"}, "logs"),
        ({"logs": [1]}, "logs"),
        ({"logs": ["x"] * 101}, "logs"),
        ({"logs": ["x" * 4001]}, "logs"),
        ({"error": {"nested": True}}, "error"),
        ({"stage_name": "rename"}, "stage_name"),
        ({"output_data": {}}, "output_data"),
    ],
)
def test_stage_patch_refuses_bad_input(table, api, body, field):
    before = stored(table, "proj_map")
    response = api.patch("/api/projects/proj_map/stages/prompt_engineer/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert stored(table, "proj_map") == before


@pytest.mark.django_db
def test_an_empty_stage_patch_is_400(table, api):
    response = api.patch("/api/projects/proj_map/stages/prompt_engineer/", {}, format="json")
    assert response.status_code == 400 and "Nothing to update" in response.json()["detail"]


@pytest.mark.django_db
def test_unknown_stage_or_project_is_404_with_a_clear_message(table, api):
    response = api.patch("/api/projects/proj_map/stages/提示词工程/", {"status": "failed"}, format="json")
    assert response.status_code == 404
    assert "no stage '提示词工程'" in response.json()["detail"] and "'prompt_engineer'" in response.json()["detail"]
    response = api.put("/api/projects/proj_nope/stages/x/artifacts/", {"artifacts": []}, format="json")
    assert response.status_code == 404 and "proj_nope" in response.json()["detail"]
    response = api.patch("/api/projects/proj_bare/stages/x/", {"status": "failed"}, format="json")
    assert response.status_code == 404 and "no stages_snapshot" in response.json()["detail"]


@pytest.mark.django_db
def test_writes_to_a_malformed_snapshot_are_409_and_change_nothing(table, api):
    for response in (
        api.patch("/api/projects/proj_malformed/stages/requirements_analyzer/", {"status": "failed"}, format="json"),
        api.put(
            "/api/projects/proj_malformed/stages/requirements_analyzer/artifacts/", {"artifacts": []}, format="json"
        ),
    ):
        assert response.status_code == 409 and response.json()["code"] == "malformed_snapshot"
        assert "repaired" in response.json()["detail"]
    assert stored(table, "proj_malformed")["stages_snapshot"] == MALFORMED


@pytest.mark.django_db
def test_artifacts_put_replaces_the_list_creating_output_data(table, api):
    response = api.put(
        "/api/projects/proj_string/stages/prompt_engineer/artifacts/",
        {"artifacts": ["prompts/a.yaml", "提示/b.yaml"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["stages_snapshot"]["stages"][1]["output_data"] == {
        "artifacts": ["prompts/a.yaml", "提示/b.yaml"]
    }
    emptied = api.put(
        "/api/projects/proj_string/stages/requirements_analyzer/artifacts/", {"artifacts": []}, format="json"
    )
    assert emptied.json()["stages_snapshot"]["stages"][0]["output_data"] == {"artifacts": [], "tokens": 1234}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"artifacts": "one/path"},
        {"artifacts": {"a": 1}},
        {"artifacts": [1.5]},
        {"artifacts": [""]},
        {"artifacts": [None]},
        {"artifacts": ["x" * 1025]},
        {"artifacts": ["p"] * 1001},
        {"artifacts": [], "stage": "other"},
    ],
)
def test_artifacts_put_refuses_bad_input(table, api, body):
    before = stored(table, "proj_map")
    response = api.put("/api/projects/proj_map/stages/prompt_engineer/artifacts/", body, format="json")
    assert response.status_code == 400 and response.json()["errors"]
    assert stored(table, "proj_map") == before


@pytest.mark.django_db
def test_artifacts_that_would_overflow_the_item_are_400(table, api):
    paths = [f"out/{n:03d}/" + "x" * 1000 for n in range(450)]
    response = api.put("/api/projects/proj_map/stages/prompt_engineer/artifacts/", {"artifacts": paths}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "item_too_large"


@pytest.mark.django_db
def test_a_body_over_the_request_size_limit_is_400(table, api):
    body = json.dumps({"artifacts": ["x" * 1000] * 3000})  # 3 MB: over Django's 2.5 MB limit
    response = api.put(
        "/api/projects/proj_map/stages/prompt_engineer/artifacts/", body, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_methods_outside_the_contract_are_405(table, api):
    assert api.put("/api/projects/proj_map/", {"status": "x"}, format="json").status_code == 405
    assert api.delete("/api/projects/proj_map/").status_code == 405
    assert api.post("/api/projects/", {"project_id": "x"}, format="json").status_code == 405


# ---- who may do what ----


@pytest.mark.django_db
def test_anonymous_is_401(table):
    response = APIClient().get("/api/projects/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_view_permission_reads_and_change_permission_writes(table, make_user):
    token = Token.objects.create(user=make_user("viewer", perms=["projects.view_project"]))
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert viewer.get("/api/projects/proj_map/").status_code == 200
    assert viewer.patch("/api/projects/proj_map/", {"status": "x"}, format="json").status_code == 403
    assert (
        viewer.put(
            "/api/projects/proj_map/stages/prompt_engineer/artifacts/", {"artifacts": []}, format="json"
        ).status_code
        == 403
    )
    editor = APIClient()
    editor.force_authenticate(make_user("editor", perms=["projects.view_project", "projects.change_project"]))
    assert editor.patch("/api/projects/proj_map/", {"status": "x"}, format="json").status_code == 200
    nobody = APIClient()
    nobody.force_authenticate(make_user("plain", perms=["projects.change_project"], staff=False))
    assert nobody.get("/api/projects/").status_code == 403


# ---- AWS trouble ----


@pytest.mark.django_db
def test_a_missing_table_is_a_503_naming_the_table_and_the_fix(aws, api):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    for response in (
        api.get("/api/projects/"),
        api.get("/api/projects/proj_map/"),
        api.patch("/api/projects/proj_map/", {"status": "x"}, format="json"),
        api.put("/api/projects/proj_map/stages/a/artifacts/", {"artifacts": []}, format="json"),
    ):
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "table_missing"
        assert settings.DYNAMODB_PROJECTS_TABLE in body["detail"] and "bootstrap_aws" in body["detail"]


@pytest.mark.django_db
def test_an_unreachable_endpoint_is_a_503(table, api, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    response = api.get("/api/projects/")
    assert response.status_code == 503 and "Cannot reach DynamoDB" in response.json()["detail"]


@pytest.mark.django_db
def test_the_schema_documents_the_projects_routes(aws, api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/projects/{project_id}/"]) >= {"get", "patch"}
    assert "patch" in paths["/api/projects/{project_id}/stages/{stage}/"]
    assert "put" in paths["/api/projects/{project_id}/stages/{stage}/artifacts/"]
    listing = paths["/api/projects/"]["get"]
    assert "status" in json.dumps(listing["parameters"])
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProjectPage"
    }


@pytest.mark.django_db
def test_a_stored_number_json_cannot_carry_is_an_error_value_not_a_500(table, api):
    """Python's reader turns 1e999 into infinity, which no JSON response can hold."""
    table.put_item(
        Item={"project_id": "proj_huge", "stages_snapshot": '{"stages": [{"output_data": {"tokens": 1e999}}]}'}
    )
    response = api.get("/api/projects/proj_huge/")
    assert response.status_code == 200
    assert response.json()["stages_snapshot_error"] == "invalid JSON: 1e999 is too large for a number"
