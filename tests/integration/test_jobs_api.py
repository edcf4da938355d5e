"""The jobs API on moto: steps as if always inline, lists that never touch S3, safe partial updates."""

import json

import pytest
from rest_framework.test import APIClient

from core.dynamo.connection import watch_calls
from core.dynamo.values import to_dynamodb
from jobs.gateway import STEPS, STEPS_KEY, JobGateway
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore, steps_key

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def gateway(aws):
    return JobGateway()


@pytest.fixture
def api(aws, make_user):
    client = APIClient()
    client.force_authenticate(make_user("worker", perms=["jobs.view_job", "jobs.change_job"]))
    return client


def put(gateway, **item):
    gateway.table.put_item(Item=to_dynamodb(item))


def patch(api, job_id, body):
    return api.patch(f"/api/jobs/{job_id}/", json.dumps(body), content_type="application/json")


def big_steps(count=4, chars=100_000):
    return [{"step_order": n, "step_name": f"Write section {n}", "output": "é" * chars} for n in range(1, count + 1)]


# ---- reading ------------------------------------------------------------------------------------


def test_list_items_carry_no_steps_and_cost_one_scan_and_no_s3(api, gateway):
    put(gateway, job_id="inline", status="running", execution_steps=[{"step_name": "a", "duration_ms": 1.5}])
    put(gateway, job_id="none", status="pending")
    put(gateway, job_id="s3", status="done")
    job_update(job_id="s3", execution_steps=big_steps())
    with watch_calls() as calls:
        response = api.get("/api/jobs/")
    assert response.status_code == 200
    assert calls == [("dynamodb", "Scan")]
    results = {job["job_id"]: job for job in response.json()["results"]}
    assert all(STEPS not in job for job in results.values())
    assert {job_id: job["execution_steps_location"] for job_id, job in results.items()} == {
        "inline": "inline",
        "none": "none",
        "s3": "s3",
    }
    assert results["s3"]["execution_steps_s3_key"] == "jobs/s3/execution_steps.json"
    assert results["inline"]["execution_steps_s3_key"] is None
    assert response.json()["next"] is None


def test_list_filters_by_status_and_location_and_pages_with_next(api, gateway):
    for number in range(6):
        steps = {STEPS: [{"step_name": "x"}]} if number % 2 else {}
        put(gateway, job_id=f"j{number}", status="running" if number < 4 else "done", **steps)
    seen, url = [], "/api/jobs/?status=running&location=inline&limit=2"
    while url:
        body = api.get(url).json()
        seen += [job["job_id"] for job in body["results"]]
        url = body["next"]
        assert url is None or url.startswith("http://testserver/api/jobs/?")
    assert sorted(seen) == ["j1", "j3"]


@pytest.mark.parametrize(
    "query, code",
    [
        ("location=attic", "invalid"),
        ("limit=0", "invalid"),
        ("limit=201", "invalid"),
        ("cursor=forged", "invalid_cursor"),
    ],
)
def test_bad_list_queries_are_400(api, query, code):
    response = api.get(f"/api/jobs/?{query}")
    assert response.status_code == 400 and response.json()["code"] == code


def test_a_cursor_is_bound_to_its_filters(api, gateway):
    for number in range(4):
        put(gateway, job_id=f"j{number}", status="running")
    next_url = api.get("/api/jobs/?status=running&limit=1").json()["next"]
    cursor = next_url.split("cursor=")[1]
    response = api.get(f"/api/jobs/?status=done&limit=1&cursor={cursor}")
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_detail_loads_offloaded_steps_as_if_inline(api, gateway):
    put(gateway, job_id="j1", status="running")
    steps = big_steps()
    job_update(job_id="j1", execution_steps=steps)
    with watch_calls() as calls:
        body = api.get("/api/jobs/j1/").json()
    assert calls == [("dynamodb", "GetItem"), ("s3", "GetObject")]
    assert body["execution_steps"] == steps
    assert body["execution_steps_location"] == "s3"
    assert body["execution_steps_s3_key"] == "jobs/j1/execution_steps.json"
    assert body["execution_steps_error"] is None
    assert body["status"] == "running" and body["updated_at"].endswith("Z")


def test_detail_of_inline_steps_is_json_ready(api, gateway):
    put(gateway, job_id="j1", progress=42.5, execution_steps=[{"step_name": "a", "duration_ms": 1200}])
    body = api.get("/api/jobs/j1/").json()
    assert body["progress"] == 42.5
    assert body["execution_steps"] == [{"step_name": "a", "duration_ms": 1200}]
    assert (body["execution_steps_location"], body["execution_steps_s3_key"]) == ("inline", None)


def test_detail_with_unreadable_steps_still_returns_the_job(api, gateway):
    put(gateway, job_id="gone", status="done", execution_steps_s3_key=steps_key("gone"))
    response = api.get("/api/jobs/gone/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["execution_steps"] is None
    assert "is missing" in body["execution_steps_error"]


def test_unknown_job_is_404(api):
    response = api.get("/api/jobs/nobody/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_missing_table_is_503_naming_the_table_and_the_fix(api, settings):
    settings.DYNAMODB_JOBS_TABLE = "NoSuchJobs"
    for response in (api.get("/api/jobs/"), api.get("/api/jobs/j1/"), patch(api, "j1", {"status": "x"})):
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "table_missing"
        assert "NoSuchJobs" in body["detail"] and "bootstrap_aws" in body["detail"]


# ---- permissions --------------------------------------------------------------------------------


def test_anonymous_is_401(aws):
    assert APIClient().get("/api/jobs/").status_code == 401


def test_reading_needs_view_and_writing_needs_change(aws, gateway, make_user):
    put(gateway, job_id="j1", status="running")
    client = APIClient()
    client.force_authenticate(make_user("reader", perms=["jobs.view_job"]))
    assert client.get("/api/jobs/j1/").status_code == 200
    assert patch(client, "j1", {"status": "done"}).status_code == 403
    client.force_authenticate(make_user("plain", perms=[]))
    assert client.get("/api/jobs/").status_code == 403
    client.force_authenticate(make_user("outsider", perms=["jobs.view_job", "jobs.change_job"], staff=False))
    assert client.get("/api/jobs/").status_code == 403
    assert gateway.get("j1").status == "running"


# ---- writing ------------------------------------------------------------------------------------


def test_patch_sets_progress_fields_and_returns_the_job(api, gateway):
    put(gateway, job_id="j1", status="pending", owner="worker-7")
    response = patch(
        api,
        "j1",
        {"status": "running", "progress": 12.5, "current_step": "Outline", "started_at": "2025-11-07T09:12:03Z"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["progress"], body["current_step"]) == ("running", 12.5, "Outline")
    assert body["owner"] == "worker-7"  # attributes written by others are kept
    assert body["execution_steps_location"] == "none" and body["execution_steps"] is None


def test_patch_small_steps_go_inline_and_large_ones_to_s3(api, gateway):
    put(gateway, job_id="j1", status="running")
    small = [{"step_name": "Outline", "duration_ms": 850, "usage_info": {"cost_usd": 0.0125}}]
    body = patch(api, "j1", {"execution_steps": small}).json()
    assert body["execution_steps"] == small and body["execution_steps_location"] == "inline"
    large = big_steps()
    body = patch(api, "j1", {"execution_steps": large, "status": "completed"}).json()
    assert body["execution_steps"] == large and body["execution_steps_location"] == "s3"
    item = gateway.get("j1").item
    assert STEPS not in item and item[STEPS_KEY] == "jobs/j1/execution_steps.json"
    body = patch(api, "j1", {"execution_steps": small}).json()
    assert body["execution_steps_location"] == "inline" and body["execution_steps_s3_key"] is None
    # The object is younger than the orphan grace age: left for the orphan repair, not deleted now.
    assert ExecutionStepsStore().head("jobs/j1/execution_steps.json") is not None


def test_a_5_mb_payload_is_offloaded_and_read_back_identically(api, gateway):
    put(gateway, job_id="j5", status="running")
    steps = [
        {"step_order": n, "step_name": f"Chapter {n}", "output": f"{n}:" + "段落" * 70_000, "duration_ms": n * 1.5}
        for n in range(1, 13)
    ]
    body = json.dumps({"execution_steps": steps})
    assert len(body.encode()) > 5 * MB
    response = api.patch("/api/jobs/j5/", body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert api.get("/api/jobs/j5/").json()["execution_steps"] == steps


def test_a_body_over_the_limit_is_413_json(api, gateway, settings):
    settings.API_MAX_BODY_BYTES = 1 * MB
    put(gateway, job_id="j1", status="running")
    with watch_calls() as calls:
        response = patch(api, "j1", {"execution_steps": big_steps(count=1, chars=MB)})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large" and "API_MAX_BODY_BYTES" in response.json()["detail"]
    assert calls == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"job_id": "other"}, "job_id"),
        ({"updated_at": "2025-01-01T00:00:00Z"}, "updated_at"),
        ({"execution_steps_s3_key": "jobs/x/execution_steps.json"}, "execution_steps_s3_key"),
        ({"colour": "blue"}, "colour"),
        ({"execution_steps": {"step_name": "x"}}, "execution_steps"),
        ({"execution_steps": ["x"]}, "execution_steps"),
        ({"execution_steps": None}, "execution_steps"),
        ({"artifacts": "a.pdf"}, "artifacts"),
        ({"artifacts": ["a"] * 1001}, "artifacts"),
        ({"progress": 101}, "progress"),
        ({"started_at": "yesterday"}, "started_at"),
    ],
)
def test_bad_fields_are_400_naming_the_field(api, gateway, body, field):
    put(gateway, job_id="j1", status="running")
    response = patch(api, "j1", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert gateway.get("j1").item == {"job_id": "j1", "status": "running"}


@pytest.mark.parametrize(
    "raw, code",
    [
        ('{"execution_steps": [{"x": NaN}]}', "parse_error"),
        ("[" * 100_000 + "]" * 100_000, "parse_error"),  # deeper than Python can parse
        ('{"execution_steps": [' + '{"a":' * 40 + "1" + "}" * 40 + "]}", "invalid"),
        ('{"execution_steps": [{"x": 1e200}]}', "invalid"),
        ("[]", "invalid"),
        ("{}", "invalid"),
    ],
)
def test_malformed_bodies_are_400_never_500(api, gateway, raw, code):
    put(gateway, job_id="j1", status="running")
    response = api.patch("/api/jobs/j1/", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == code
    assert gateway.get("j1").item == {"job_id": "j1", "status": "running"}


def test_patch_of_an_unknown_job_is_404_and_creates_nothing(api, gateway):
    assert patch(api, "ghost", {"status": "x"}).status_code == 404
    assert patch(api, "ghost", {"execution_steps": []}).status_code == 404
    assert gateway.get("ghost") is None


@pytest.mark.parametrize("job_id", ["..", "a b", "caf%C3%A9"])
def test_a_job_id_that_is_no_safe_s3_segment_is_refused(api, job_id):
    response = patch(api, job_id, {"execution_steps": []})
    assert response.status_code == 400 and "no '/'" in response.json()["detail"]


def test_the_schema_documents_the_jobs_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    assert {"get", "patch"} <= set(schema["paths"]["/api/jobs/{job_id}/"])
    assert "execution_steps_error" in schema["components"]["schemas"]["JobDetail"]["properties"]
    listing = schema["paths"]["/api/jobs/"]["get"]
    assert {"status", "location", "limit", "cursor"} <= {parameter["name"] for parameter in listing["parameters"]}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/JobPage"}  # one object with results and next, not an array
