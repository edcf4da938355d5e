"""Every API write endpoint against any JSON a client can send: a 400 with the reason, never a 500,
and nothing written when refused. What DynamoDB itself refuses is a 400 with its reason too."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.tables import PROJECTS

pytestmark = pytest.mark.django_db

ARTIFACT = {"artifact_type": "model", "name": "bert", "url": "https://huggingface.co/bert"}
ARTIFACT_ID = "art_upstream"
# (method, url, a valid body): one of each write the API has.
WRITES = {
    "project": ("patch", "/api/projects/proj_1/", {"status": "running"}),
    "stage": ("patch", "/api/projects/proj_1/stages/s1/", {"status": "running"}),
    "stage_artifacts": ("put", "/api/projects/proj_1/stages/s1/artifacts/", {"artifacts": ["a.txt"]}),
    "job": ("patch", "/api/jobs/job_1/", {"status": "running"}),
    "artifact_create": ("post", "/api/artifacts/", {**ARTIFACT, "url": "https://huggingface.co/new"}),
    "artifact_replace": ("put", f"/api/artifacts/{ARTIFACT_ID}/", ARTIFACT),
}


@pytest.fixture
def items(aws):
    """A project, a job and an artifact as upstream wrote them; returns a reader of all three tables."""
    tables = {
        name: dynamodb_table(getattr(settings, f"DYNAMODB_{name.upper()}_TABLE"))
        for name in ("projects", "jobs", "artifacts")
    }
    snapshot = '{"total": 2, "completed": 0, "stages": [{"stage": "s1", "ratio": 0.10}]}'
    tables["projects"].put_item(Item={"project_id": "proj_1", "stages_snapshot": snapshot})
    tables["jobs"].put_item(Item={"job_id": "job_1", "status": "queued"})
    tables["artifacts"].put_item(
        Item={
            "artifact_id": ARTIFACT_ID,
            "artifact_type": "model",
            "url": ARTIFACT["url"],
            "name_normalized": "bert",
            "artifact": json.dumps({"metadata": {"name": "bert"}}),
        }
    )

    def everything():
        return {name: sorted(table.scan()["Items"], key=repr) for name, table in tables.items()}

    return everything


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


def send(api, write: str, body: bytes | str):
    method, url, _ = WRITES[write]
    return getattr(api, method)(url, body, content_type="application/json")


def with_value(write: str, value) -> dict:
    """The write's valid body with each of its fields in turn... here: its first field set to `value`."""
    _, _, body = WRITES[write]
    return {**body, next(iter(body)): value}


# ---- lone surrogates ----


LONE_SURROGATE_BODIES = [
    (write, text)
    for write in WRITES
    for text in (
        json.dumps(with_value(write, "bad \ud800")),  # json.dumps writes the escape \ud800
        json.dumps({**WRITES[write][2], "\udfff": 1}),  # in a field name
    )
] + [
    ("project", '{"data": {"deep": ["\\udc00"]}}'),
    ("stage", '{"logs": ["ok", "\\ud83d"]}'),  # a high surrogate without its low half
    ("job", '{"execution_steps": [{"output": "\\ude00\\ud83d"}]}'),  # halves in the wrong order
    ("artifact_create", json.dumps({**WRITES["artifact_create"][2], "artifact": {"k": "\udfff"}})),
    ("artifact_replace", json.dumps({**ARTIFACT, "rating": {"name": "\ud800"}})),
]


@pytest.mark.parametrize(("write", "body"), LONE_SURROGATE_BODIES)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400_that_writes_nothing(items, api, write, body):
    before = items()
    response = send(api, write, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error" and "surrogate" in response.json()["detail"]
    assert items() == before


@pytest.mark.parametrize("write", ["project", "stage", "job"])
def test_an_escaped_surrogate_pair_is_the_character_it_encodes(items, api, write):
    body = {
        "project": '{"name": "\\ud83d\\ude00"}',
        "stage": '{"error": "\\ud83d\\ude00"}',
        "job": '{"current_step": "\\ud83d\\ude00"}',
    }[write]
    response = send(api, write, body)
    assert response.status_code == 200, response.content
    assert "\U0001f600" in json.dumps(response.json(), ensure_ascii=False)


# ---- numbers ----


def test_integers_past_38_digits_with_trailing_zeros_are_stored_exactly(items, api):
    """boto3's number context traps rounding: 10**40 has one significant digit but 41 digits."""
    project = send(api, "project", json.dumps({"data": {"n": 10**40, "m": -(10**125), "small": 1.5e-120}}))
    job = send(api, "job", json.dumps({"execution_steps": [{"tokens": 12 * 10**60}]}))
    assert (project.status_code, job.status_code) == (200, 200), (project.content, job.content)
    stored = items()
    assert stored["projects"][0]["data"] == {"n": 10**40, "m": -(10**125), "small": Decimal("1.5E-120")}
    assert stored["jobs"][0]["execution_steps"] == [{"tokens": 12 * 10**60}]


@pytest.mark.parametrize(
    ("write", "body"),
    [
        ("project", {"data": {"n": 10**40 + 1}}),  # 41 significant digits
        ("project", {"data": {"n": 10**126}}),  # past DynamoDB's range
        ("job", {"execution_steps": [{"n": -(10**38) - 7}]}),
        ("job", {"execution_steps": [{"n": 1e-131}]}),
    ],
)
def test_numbers_dynamodb_cannot_hold_are_a_400_naming_them(items, api, write, body):
    before = items()
    response = send(api, write, json.dumps(body))
    assert response.status_code == 400, response.content
    assert "DynamoDB" in response.json()["detail"] or "DynamoDB" in json.dumps(response.json()["errors"])
    assert items() == before


# ---- what DynamoDB refuses ----

WRITE_OPERATIONS = {
    "project": "UpdateItem",
    "stage": "UpdateItem",
    "stage_artifacts": "UpdateItem",
    "job": "UpdateItem",
    "artifact_create": "PutItem",
    "artifact_replace": "UpdateItem",
}


@pytest.mark.parametrize("write", WRITES)
def test_any_validation_refusal_of_a_write_is_a_400_with_dynamodb_reason(items, api, fail_calls, write):
    reason = "One or more parameter values were invalid: an odd value this test makes DynamoDB refuse"
    fail_calls(dynamodb_client(), "ValidationException", WRITE_OPERATIONS[write], message=reason)
    method, url, body = WRITES[write]
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "write_refused" and reason in response.json()["detail"]


def test_a_key_schema_dynamodb_refuses_is_a_400_with_its_reason(aws, api):
    """Upstream's table has a sort key we do not know: DynamoDB itself refuses our key."""
    client = dynamodb_client()
    client.delete_table(TableName=PROJECTS.name)
    client.create_table(
        TableName=PROJECTS.name,
        KeySchema=[{"AttributeName": "project_id", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "project_id", "AttributeType": "S"},
            {"AttributeName": "v", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    response = api.patch("/api/projects/proj_1/", {"status": "running"}, format="json")
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert response.json()["code"] == "write_refused" and detail.startswith("DynamoDB refused the write to")


# ---- any JSON value in any field ----

FIELDS = {
    "project": ["status", "current_stage", "progress", "name", "data", "error", "project_id"],
    "stage": ["status", "started_at", "completed_at", "error", "logs", "stage"],
    "stage_artifacts": ["artifacts"],
    "job": [
        "status",
        "current_step",
        "progress",
        "error",
        "started_at",
        "completed_at",
        "artifacts",
        "execution_steps",
        "execution_steps_s3_key",
    ],
    "artifact_create": ["artifact_type", "name", "url", "artifact", "rating", "dataset_id", "code_id"],
    "artifact_replace": ["artifact_type", "name", "url", "artifact", "rating", "dataset_id", "code_id"],
}
odd_text = st.text(
    st.sampled_from(["a", "中", "\x00", "\u202e", "\ud800", "\udfff", "\U0001f600", "/", "."]), max_size=8
)
odd_numbers = st.one_of(
    st.integers(min_value=-(10**130), max_value=10**130),
    st.integers(0, 130).map(lambda exponent: 10**exponent),
    st.floats(allow_nan=True, allow_infinity=True),
)
any_json = st.recursive(
    st.one_of(st.none(), st.booleans(), odd_numbers, odd_text, st.sampled_from(["2025-11-23T12:00:00Z", "model"])),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(odd_text, children, max_size=3),
    max_leaves=12,
)


@st.composite
def bodies(draw, write: str) -> str:
    """The write's valid body with one field (or the whole body) replaced by any JSON value, as text."""
    if draw(st.integers(0, 9)) == 0:
        return json.dumps(draw(any_json))
    body = dict(WRITES[write][2])
    body[draw(st.sampled_from(FIELDS[write]))] = draw(any_json)
    return json.dumps(body)  # ensure_ascii: lone surrogates travel as their escapes


@pytest.mark.parametrize("write", WRITES)
def test_any_json_in_any_field_of_any_write_is_answered_never_a_500(items, api, write):
    @hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(bodies(write))
    def check(body):
        before = items()
        response = send(api, write, body)
        assert response.status_code in {200, 201, 400, 404, 409}, (body, response.content)
        assert set(response.json()) >= ({"detail", "code"} if response.status_code >= 400 else set())
        if response.status_code >= 400:
            assert items() == before, body

    check()


# ---- the same refusal in the admin and in commands ----


def test_the_admin_shows_a_refused_write_as_a_bad_request_page_with_the_reason(items, client, superuser, fail_calls):
    reason = "One or more parameter values were invalid: refused by the test"
    fail_calls(dynamodb_client(), "ValidationException", "DeleteItem", message=reason)
    client.force_login(superuser)
    response = client.post(f"/admin/artifacts/artifact/{ARTIFACT_ID}/delete/")
    assert response.status_code == 400 and reason in response.content.decode()
    assert any(item["artifact_id"] == ARTIFACT_ID for item in items()["artifacts"])


def test_a_command_reports_a_refused_write_as_its_error_and_exits_non_zero(aws, fail_calls):
    reason = "One or more parameter values were invalid: refused by the test"
    fail_calls(dynamodb_client(), "ValidationException", "BatchWriteItem", message=reason)
    with pytest.raises(CommandError, match="DynamoDB refused the write to .*refused by the test"):
        call_command("seed_demo", "--force")  # moto's in-process mock answers for AWS itself
