"""Steps objects of every hostile shape, written as another service could (raw boto3), through the
API's job detail and the admin's job page: never a 500, the job always shown, and memory bounded
(measured with tracemalloc around the request; not a timed test)."""

import gzip
import json
import tracemalloc
from decimal import Decimal
from functools import cache

import pytest
from boto3.dynamodb.types import Binary
from django.conf import settings
from rest_framework.test import APIClient

from core.dynamo.connection import watch_calls
from core.dynamo.values import to_dynamodb
from jobs.gateway import JobGateway
from jobs.steps_store import ExecutionStepsStore, steps_key

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
# gzip shrinks `{},` repeated about a thousandfold: 67 MB of it is a 65 KB object, 2 MB a 2 KB one.
EMPTY_STEPS_67MB = b"[" + b"{}," * (67_000_000 // 3) + b"{}]"
EMPTY_STEPS_2MB = b"[" + b"{}," * (2_000_000 // 3) + b"{}]"
STEPS = [{"step_order": 1, "step_name": "plan", "output": "é" * 10}]


@cache
def hostile_objects() -> dict[str, tuple[bytes, dict, str | None]]:
    """name -> (body, extra PutObject arguments, the error it must give, or None for readable)."""
    plain = json.dumps(STEPS).encode()
    return {
        "plain": (plain, {}, None),
        "gzip_header": (gzip.compress(plain), {"ContentEncoding": "gzip"}, None),
        "gzip_magic_only": (gzip.compress(plain), {}, None),
        "bomb_65kb": (gzip.compress(EMPTY_STEPS_67MB, 9), {"ContentEncoding": "gzip"}, "EXECUTION_STEPS_MAX_BYTES"),
        "bomb_2kb": (gzip.compress(EMPTY_STEPS_2MB, 9), {}, "EXECUTION_STEPS_MAX_COUNT"),
        "invalid_utf8": (b'[{"step_name": "\xff\xfe"}]', {}, "not UTF-8"),
        "not_json": (b"<html>not json</html>", {}, "invalid JSON"),
        "json_not_a_list": (b'{"steps": []}', {}, "not a list of step objects"),
        "list_of_numbers": (b"[1, 2, 3]", {}, "not a list of step objects"),
        "nan": (b'[{"duration_ms": NaN}]', {}, "NaN is not a JSON number"),
        "truncated_gzip": (gzip.compress(plain)[:-10], {"ContentEncoding": "gzip"}, "not valid gzip"),
        "empty": (b"", {}, "invalid JSON"),
    }


@pytest.fixture
def hostile_jobs(aws):
    client = ExecutionStepsStore().storage.s3_client()
    table = JobGateway().table
    for name, (body, extra, _) in hostile_objects().items():
        client.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=steps_key(name), Body=body, **extra)
        table.put_item(Item=to_dynamodb({"job_id": name, "status": "done", "execution_steps_s3_key": steps_key(name)}))
    return hostile_objects()


@pytest.fixture
def api(aws, make_user):
    client = APIClient()
    client.force_authenticate(make_user("viewer", perms=["jobs.view_job"]))
    return client


def peak_bytes(call):
    """The call's result and the most memory Python allocated while it ran."""
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_the_bombs_are_small_objects():
    assert len(hostile_objects()["bomb_65kb"][0]) < 70_000
    assert len(hostile_objects()["bomb_2kb"][0]) < 2_500


@pytest.mark.parametrize("name", list(hostile_objects()))
def test_api_detail_serves_the_job_with_the_steps_or_why_not(api, hostile_jobs, name):
    _, _, error = hostile_jobs[name]
    response, peak = peak_bytes(lambda: api.get(f"/api/jobs/{name}/"))
    assert response.status_code == 200
    job = response.json()
    assert job["job_id"] == name and job["status"] == "done" and job["execution_steps_location"] == "s3"
    if error is None:
        assert job["execution_steps"] == STEPS and job["execution_steps_error"] is None
    else:
        assert job["execution_steps"] is None and error in job["execution_steps_error"]
    print(f"{name}: peak {peak / MiB:.1f} MiB")
    assert peak < 48 * MiB  # 32 MiB of JSON read at most, and no more than the chunk being expanded


@pytest.mark.parametrize("name", list(hostile_objects()))
def test_admin_page_shows_the_job_with_the_steps_or_why_not(client, superuser, hostile_jobs, name):
    client.force_login(superuser)
    _, _, error = hostile_jobs[name]
    response, peak = peak_bytes(lambda: client.get(f"/admin/jobs/job/{name}/change/"))
    assert response.status_code == 200
    html = response.content.decode()
    assert name in html
    if error is None:
        assert "plan" in html and 'id="steps-error"' not in html
    else:
        assert 'id="steps-error"' in html and error in html
    assert peak < 48 * MiB


def test_the_caps_are_settings(api, hostile_jobs, settings):
    settings.EXECUTION_STEPS_MAX_COUNT = 700_000  # the 2 KB bomb's steps now fit the count cap...
    job = api.get("/api/jobs/bomb_2kb/").json()
    assert job["execution_steps_error"] is None and len(job["execution_steps"]) == len(EMPTY_STEPS_2MB) // 3
    settings.EXECUTION_STEPS_MAX_BYTES = 1_000_000  # ...and now its 2 MB do not fit the byte cap
    assert "more than 1,000,000 bytes" in api.get("/api/jobs/bomb_2kb/").json()["execution_steps_error"]


FOREIGN_KEYS = {
    "another_jobs": "jobs/plain/execution_steps.json",
    "secret": "secret/config.json",
    "escape": "jobs/../secret/config.json",
    "binary": Binary(b"jobs/plain/execution_steps.json"),
    "list": ["jobs/plain/execution_steps.json"],
    "number": Decimal(7),
    "map": {"key": "jobs/plain/execution_steps.json"},
}


@pytest.fixture
def foreign_jobs(hostile_jobs):
    ExecutionStepsStore().storage.s3_client().put_object(
        Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key="secret/config.json", Body=b'[{"password": "hunter2"}]'
    )
    table = JobGateway().table
    for name, key in FOREIGN_KEYS.items():
        table.put_item(Item={"job_id": f"foreign_{name}", "status": "done", "execution_steps_s3_key": key})


@pytest.mark.parametrize("name", list(FOREIGN_KEYS))
def test_a_foreign_key_is_never_followed_by_the_api(api, foreign_jobs, name):
    with watch_calls() as calls:
        response = api.get(f"/api/jobs/foreign_{name}/")
    assert response.status_code == 200 and calls == [("dynamodb", "GetItem")]  # S3 is never asked
    job = response.json()
    assert job["execution_steps"] is None and "hunter2" not in response.content.decode()
    assert "Not followed" in job["execution_steps_error"] and "foreign key" in job["execution_steps_error"]


@pytest.mark.parametrize("name", list(FOREIGN_KEYS))
def test_the_admin_page_warns_of_a_foreign_key_without_following_it(client, superuser, foreign_jobs, name):
    client.force_login(superuser)
    with watch_calls() as calls:
        response = client.get(f"/admin/jobs/job/foreign_{name}/change/")
    assert response.status_code == 200 and ("s3", "GetObject") not in calls
    html = response.content.decode()
    assert "hunter2" not in html and "<code>foreign_key</code>" in html and "Not followed" in html
