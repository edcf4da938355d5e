"""The API's routes as `make run` serves them (DJANGO_DEBUG=1) and as production does: every route
with and without its trailing slash, JSON for every error under /api/ in both modes, the root's
links, and DRF's browsable pages for staff browsers only."""

import json

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.dynamo.values import to_dynamodb

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

SNAPSHOT = {"total": 1, "completed": 0, "stages": [{"stage": "build", "status": "running"}]}
PROJECT = {"project_id": "proj-1", "status": "running", "stages_snapshot": json.dumps(SNAPSHOT)}
JOB = {"job_id": "job-1", "status": "running", "execution_steps": [{"step_name": "plan"}]}
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a browser asks for


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def world(aws):
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item=PROJECT)
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item=to_dynamodb(JOB))


@pytest.fixture
def api(world, superuser):
    token = Token.objects.create(user=superuser).key
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}", raise_request_exception=False)


def stored_project() -> dict:
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).get_item(Key={"project_id": "proj-1"})["Item"]


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code


# ---- both spellings -------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["/", ""], ids=["slash", "no slash"])
def test_every_write_route_answers_with_and_without_its_trailing_slash(api, debug, slash):
    patched = api.patch(f"/api/projects/proj-1{slash}", {"status": "paused"}, format="json")
    assert patched.status_code == 200, patched.content[:300]
    assert stored_project()["status"] == "paused"
    stage = api.patch(f"/api/projects/proj-1/stages/build{slash}", {"status": "completed"}, format="json")
    assert stage.status_code == 200, stage.content[:300]
    artifacts = api.put(f"/api/projects/proj-1/stages/build/artifacts{slash}", {"artifacts": ["a.txt"]}, format="json")
    assert artifacts.status_code == 200, artifacts.content[:300]
    assert json.loads(stored_project()["stages_snapshot"])["stages"][0]["output_data"]["artifacts"] == ["a.txt"]
    job = api.patch(f"/api/jobs/job-1{slash}", {"status": "done"}, format="json")
    assert job.status_code == 200 and job.json()["status"] == "done"
    body = {"artifact_type": "model", "name": "BERT", "url": f"https://example.com/bert{slash}x"}
    created = api.post(f"/api/artifacts{slash}", body, format="json")
    assert created.status_code == 201, created.content[:300]
    assert created["Location"].endswith("/")  # links keep the canonical spelling
    artifact = created["Location"].rstrip("/").rsplit("/", 1)[1]
    assert api.put(f"/api/artifacts/{artifact}{slash}", body, format="json").status_code == 200
    assert api.delete(f"/api/artifacts/{artifact}{slash}").status_code == 204


@pytest.mark.parametrize(
    "route",
    ["/api/projects/", "/api/projects/proj-1/", "/api/jobs/", "/api/jobs/job-1/", "/api/artifacts/"]
    + ["/api/repairs/", "/api/schema/", "/api/docs/"],
)
def test_every_read_route_answers_the_same_without_its_trailing_slash(api, route):
    with_slash, without = api.get(route), api.get(route.rstrip("/"))
    assert with_slash.status_code == without.status_code == 200
    assert with_slash.content == without.content or route == "/api/docs/"  # the docs page: a fresh CSRF token


def test_an_artifact_id_holding_slashes_resolves_alike_in_both_spellings(api):
    item = {"artifact_id": "team/model", "artifact_type": "model", "url": "https://e.com/m", "name_normalized": "m"}
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).put_item(Item=item)
    for url in ("/api/artifacts/team/model/", "/api/artifacts/team/model"):
        response = api.get(url)
        assert response.status_code == 200 and response.json()["artifact_id"] == "team/model"
    assert_json_error(api.get("/api/artifacts/team/"), 404, "not_found")


# ---- JSON errors in every mode --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "patch"])
@pytest.mark.parametrize("url", ["/api/nothing", "/api/nothing/", "/api/projects/proj-1/stages", "/api/jobs/a/b/c"])
def test_an_unknown_route_is_a_json_404_in_every_mode(api, debug, method, url):
    assert_json_error(getattr(api, method)(url, {}, format="json"), 404, "not_found")
    session = Client(raise_request_exception=False)  # no token, no CSRF token: still the 404
    assert_json_error(getattr(session, method)(url), 404, "not_found")


def test_a_method_outside_the_contract_is_a_json_405_in_every_mode(api, debug):
    for url in ("/api/projects/proj-1/", "/api/projects/proj-1"):
        assert_json_error(api.delete(url), 405, "method_not_allowed")
    assert stored_project() == PROJECT


def test_an_unexpected_failure_is_a_json_500_in_every_mode(api, debug, fail_calls, caplog):
    fail_calls(dynamodb_client(), "ValidationException", "GetItem", message="Invalid KeyConditionExpression")
    response = api.get("/api/jobs/job-1")
    assert_json_error(response, 500, "server_error")
    assert "KeyConditionExpression" not in response.content.decode()
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.exc_info[0].__name__ for record in logged] == ["ClientError"]


def test_a_request_django_refuses_inside_a_view_is_a_json_400_in_every_mode(api, debug):
    too_many_fields = "&".join(f"f{n}=1" for n in range(1200))  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert_json_error(api.get(f"/api/jobs?{too_many_fields}"), 400, "bad_request")


# ---- /api/ ---------------------------------------------------------------------------------------


def test_the_root_links_every_resource_and_each_link_answers(api):
    links = api.get("/api/").json()
    assert api.get("/api").json() == links
    assert set(links) == {"projects", "jobs", "artifacts", "repairs", "schema", "docs"}
    for url in links.values():
        assert url.startswith("http://testserver/api/") and url.endswith("/")
        assert api.get(url).status_code == 200, url


def test_the_root_shows_only_links_to_anyone(world):
    response = APIClient().get("/api/")
    assert response.status_code == 200
    assert "proj-1" not in response.content.decode() and set(response.json()) >= {"projects", "jobs"}


# ---- the browsable API ---------------------------------------------------------------------------


def test_staff_in_a_browser_get_drf_s_browsable_pages_and_clients_still_get_json(world, client, superuser):
    client.force_login(superuser)
    page = client.get("/api/projects/", HTTP_ACCEPT=HTML)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "proj-1" in page.content.decode() and "Django REST framework" in page.content.decode()
    for accept in ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": "application/json"}):
        assert client.get("/api/projects/", **accept)["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "who, status",
    [("anonymous", 401), ("not staff", 403), ("inactive staff", 401), ("staff without permission", 403)],
)
def test_others_in_a_browser_get_json_errors_and_no_data(world, make_user, who, status):
    client = Client()
    if who != "anonymous":
        user = make_user("someone", staff=who != "not staff")
        if who == "inactive staff":
            user.is_active = False
            user.save()
        client.force_login(user)
    response = client.get("/api/projects/", HTTP_ACCEPT=HTML)
    assert response.status_code == status and "proj-1" not in response.content.decode()
    if who != "staff without permission":  # staff see the page, with the refusal and nothing else
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "route",
    ["/api/", "/api/projects/", "/api/projects/proj-1/", "/api/jobs/", "/api/jobs/job-1/", "/api/artifacts/"]
    + ["/api/repairs/", "/api/projects/proj-1/stages/build/"],
)
def test_every_route_renders_its_browsable_page_for_staff(world, client, superuser, route):
    client.force_login(superuser)
    response = client.get(route, HTTP_ACCEPT=HTML)
    assert response["Content-Type"].startswith("text/html")
    assert response.status_code == (405 if "stages" in route else 200)  # stages take PATCH only
