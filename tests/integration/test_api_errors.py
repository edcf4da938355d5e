"""Every status the API answers (CONTRACT.md section 4, and the HTTP ones around it), reached from
the outside, each with the one error shape: {"detail", "code"}, plus "errors" for field errors."""

import json

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.dynamo.values import to_dynamodb
from core.storage import s3_storage

pytestmark = pytest.mark.django_db

SNAPSHOT = {"total": 1, "completed": 0, "stages": [{"stage": "build", "status": "running"}], "owner": "pipeline"}
JOB = {"job_id": "job-1", "status": "running", "execution_steps": [{"step_name": "plan"}]}
PROJECT = {"project_id": "proj-1", "status": "running", "stages_snapshot": json.dumps(SNAPSHOT)}
MALFORMED = {"project_id": "proj-bad", "status": "running", "stages_snapshot": '{"stages": [{"stage": "bu'}


@pytest.fixture
def world(aws):
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item=to_dynamodb(JOB))
    for item in (PROJECT, MALFORMED):
        dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item=item)


@pytest.fixture
def token(superuser):
    return Token.objects.create(user=superuser).key


@pytest.fixture
def api(world, token):
    """A client with a superuser's token: it reaches every handler."""
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}", raise_request_exception=False)


def stored_job() -> dict:
    return dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "job-1"})["Item"]


def stored_project(project_id: str) -> dict:
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).get_item(Key={"project_id": project_id})["Item"]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"detail", "code", "errors"}
    return body


def patch(api, url, body):
    return api.patch(url, body, format="json")


# ---- 400 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [({"progress": "half"}, "progress"), ({"owner": "x"}, "owner")])
def test_400_field_errors_are_drf_s_under_errors_and_nothing_is_written(api, body, field):
    errors = assert_error(patch(api, "/api/jobs/job-1/", body), 400, "invalid")["errors"]
    assert list(errors) == [field] and all(isinstance(message, str) for message in errors[field])
    assert stored_job() == to_dynamodb(JOB)


def test_400_for_a_body_that_is_not_json(api):
    response = api.patch("/api/jobs/job-1/", '{"status": "do', content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert stored_job() == to_dynamodb(JOB)


def test_400_for_a_tampered_cursor(api):
    page = api.get("/api/projects/?limit=1").json()
    cursor = page["next"].split("cursor=", 1)[1]
    tampered = cursor[:-3] + ("x" if cursor[-3] != "x" else "y") + cursor[-2:]
    assert_error(api.get(f"/api/projects/?limit=1&cursor={tampered}"), 400, "invalid_cursor")
    assert_error(api.get(f"/api/jobs/?cursor={cursor}"), 400, "invalid_cursor")  # another listing's


@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/projects/proj-1/", {"data": {"config": {"": "x"}}}),
        ("/api/jobs/job-1/", {"execution_steps": [{"step_name": "plan", "": 1}]}),
    ],
)
def test_400_for_an_empty_map_key_which_dynamodb_refuses(api, url, body):
    response = patch(api, url, body)
    assert "non-empty strings" in json.dumps(assert_error(response, 400, "invalid"))
    assert stored_job() == to_dynamodb(JOB) and stored_project("proj-1") == PROJECT


def test_400_for_a_business_rule_the_schema_cannot_express(api):
    body = assert_error(patch(api, "/api/projects/proj-1/", {}), 400, "invalid")
    assert "Nothing to update" in body["detail"] and "errors" not in body


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/api/jobs/", "HTTP_HOST": "attacker.example"},  # a Host not in ALLOWED_HOSTS
        {"path": "/api/jobs/?" + "&".join(f"f{n}=1" for n in range(1200))},  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
    ],
)
def test_400_for_a_request_django_refuses_before_any_view_is_json_too(api, request_kwargs):
    assert_error(api.get(**request_kwargs), 400, "bad_request")


# ---- 401, 403 -------------------------------------------------------------------------------------


def test_401_without_credentials_or_with_a_wrong_token(world):
    response = APIClient().get("/api/jobs/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert_error(APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/jobs/"), 401, "authentication_failed")


def test_403_for_staff_without_the_permission(world, make_user):
    user = make_user("nobody")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    body = assert_error(client.get("/api/jobs/"), 403, "permission_denied")
    assert "permission" in body["detail"]


# ---- 404, 405 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/jobs/nobody/", "/api/projects/nobody/", "/api/artifacts/nobody/", "/api/projects/proj-1/stages/x/"]
)
def test_404_for_an_unknown_id(api, url):
    response = api.get(url) if "stages" not in url else patch(api, url, {"status": "completed"})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("url", ["/api/nothing/", "/api/projects/proj-1/stages/", "/api/jobs/a/b/c/"])
def test_404_for_a_route_that_does_not_exist_is_json_too(api, url):
    assert_error(api.get(url), 404, "not_found")
    admin = Client().get("/admin/nothing/here/")  # outside the API, Django's own pages
    assert admin.status_code in {302, 404} and "application/json" not in admin["Content-Type"]


def test_405_for_a_method_outside_the_contract(api):
    response = api.delete("/api/projects/proj-1/")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, PATCH, HEAD, OPTIONS"
    assert stored_project("proj-1") == PROJECT


# ---- 409 ------------------------------------------------------------------------------------------


def test_409_when_the_stored_data_must_be_repaired_first(api):
    response = patch(api, "/api/projects/proj-bad/stages/build/", {"status": "completed"})
    assert "repaired" in assert_error(response, 409, "malformed_snapshot")["detail"]
    assert stored_project("proj-bad") == MALFORMED


def test_409_when_the_url_is_already_registered(api):
    body = {"artifact_type": "model", "name": "BERT", "url": "https://example.com/bert"}
    assert api.post("/api/artifacts/", body, format="json").status_code == 201
    assert_error(api.post("/api/artifacts/", body, format="json"), 409, "duplicate_url")


def test_409_when_other_writers_keep_winning_and_nothing_is_written(api, fail_calls):
    # Every conditional write finds the item changed, as under writers faster than us.
    fail_calls(dynamodb_client(), "ConditionalCheckFailedException", "UpdateItem")
    response = patch(api, "/api/jobs/job-1/", {"execution_steps": [{"step_name": "new"}], "status": "done"})
    assert "8 times in a row" in assert_error(response, 409, "conflict")["detail"]
    assert stored_job() == to_dynamodb(JOB)


# ---- 413, 415 -------------------------------------------------------------------------------------


def test_413_for_a_body_over_the_limit(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = patch(api, "/api/jobs/job-1/", {"execution_steps": [{"output": "x" * 2000}]})
    assert "1000 bytes" in assert_error(response, 413, "request_too_large")["detail"]
    assert stored_job() == to_dynamodb(JOB)


def test_415_for_a_body_that_is_not_sent_as_json(api):
    response = api.patch("/api/jobs/job-1/", "status=done", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")
    assert stored_job() == to_dynamodb(JOB)


# ---- 500 ------------------------------------------------------------------------------------------


def test_an_unexpected_failure_is_a_json_500_without_internals(api, fail_calls, caplog):
    # A DynamoDB refusal that means nothing the project knows (a request it built wrongly) is not
    # disguised as a 4xx or 503: it is a 500, logged with its traceback, answered in the error shape.
    fail_calls(dynamodb_client(), "ValidationException", "GetItem", message="Invalid KeyConditionExpression")
    body = assert_error(api.get("/api/jobs/job-1/"), 500, "server_error")
    assert "KeyConditionExpression" not in body["detail"] and "Traceback" not in body["detail"]
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.exc_info[0].__name__ for record in logged] == ["ClientError"]


# ---- 503 ------------------------------------------------------------------------------------------


def test_503_for_a_missing_table_names_it_and_the_fix(api):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    body = assert_error(api.get("/api/projects/"), 503, "table_missing")
    assert settings.DYNAMODB_PROJECTS_TABLE in body["detail"] and "bootstrap_aws" in body["detail"]


def test_503_for_a_missing_bucket_names_it_and_the_fix(api):
    s3_storage().s3_client().delete_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    big = [{"step_name": "write", "output": "x" * 400_000}]
    body = assert_error(patch(api, "/api/jobs/job-1/", {"execution_steps": big}), 503, "bucket_missing")
    assert settings.AWS_STORAGE_BUCKET_NAME in body["detail"] and "bootstrap_aws" in body["detail"]
    assert stored_job() == to_dynamodb(JOB)


def test_503_for_an_unreachable_endpoint(api, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    body = assert_error(api.get("/api/jobs/"), 503, "unavailable")
    assert "127.0.0.1:9" in body["detail"]
