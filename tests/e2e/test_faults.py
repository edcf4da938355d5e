"""AWS failing underneath the API, with real mechanisms only: S3 on a closed port, endpoints that
accept and never answer, DynamoDB throttling (botocore's own error, raised before the call leaves
the client), a table and a bucket deleted, and a proxy that cuts connections off mid-request.

For each: the API answers the contract's error ({"detail", "code"}, 503), the data stays as it was
(or, when the outcome of a write cannot be known, is whole: never both inline steps and a key, no
key without its object, any object no job references reported by the stale-key scan), and
/healthz says what is wrong.
"""

import http.client
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import boto3
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.storage import s3_storage
from jobs.gateway import STEPS, STEPS_KEY
from jobs.repairs.findings import ORPHAN_OBJECT
from jobs.repairs.scanner import stale_keys_scan
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore, steps_key
from tests.conftest import point_settings_at

pytestmark = pytest.mark.django_db

CLOSED_PORT = "http://127.0.0.1:9"
SNAPSHOT = {"total": 1, "completed": 0, "stages": [{"stage": "build", "status": "running"}]}
SMALL = [{"step_name": "plan", "output": "ok"}]
LARGE = [{"step_name": "write", "output": "x" * 350_000}]  # offloaded


# ---- fault makers ---------------------------------------------------------------------------------


class SilentServer:
    """Accepts connections and never answers: an endpoint that has become too slow."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:  # closed
                return

    def close(self):
        self.socket.close()
        for connection in self.held:
            connection.close()


class CuttingProxy:
    """Forwards every request to moto's server, but cuts off the requests `cut(...)` lines up, in
    that order (each waits for the one before it): the connection is closed without an answer,
    `before` the request reaches moto, or `after` moto has done it (so the client cannot tell)."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.rules: list[tuple[str, str, str]] = []  # (when, method, marker in target or path)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                when = proxy.take(self.command, self.headers.get("X-Amz-Target", "") + " " + self.path)
                if when == "before":
                    self.close_connection = True
                    return
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                upstream.request(self.command, self.path, body, dict(self.headers))
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if when == "after":
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in {"connection", "transfer-encoding", "content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", answer.getheader("Content-Length") or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def cut(self, when: str, method: str, marker: str) -> None:
        with self.lock:
            self.rules.append((when, method, marker))

    def take(self, method: str, target: str) -> str | None:
        with self.lock:
            if self.rules and self.rules[0][1] == method and self.rules[0][2] in target:
                return self.rules.pop(0)[0]
        return None

    @property
    def pending(self) -> int:
        return len(self.rules)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def world(aws_server):
    """A project, an inline job and an offloaded job, on moto's server."""
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={"project_id": "p1", "status": "running", "stages_snapshot": json.dumps(SNAPSHOT)}
    )
    jobs = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    jobs.put_item(Item={"job_id": "inline", "status": "running", "execution_steps": SMALL})
    jobs.put_item(Item={"job_id": "offloaded", "status": "running"})
    job_update(job_id="offloaded", execution_steps=LARGE)
    return aws_server


@pytest.fixture
def api(world, superuser):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser).key}")


@pytest.fixture
def snapshot(world):
    """What moto's server holds now, read with clients of the test's own (not the app's)."""
    options = {"endpoint_url": world, "region_name": settings.AWS_DEFAULT_REGION}
    dynamodb, s3 = boto3.resource("dynamodb", **options), boto3.client("s3", **options)

    def take() -> dict:
        tables = {}
        for name in dynamodb.meta.client.list_tables()["TableNames"]:
            tables[name] = sorted(dynamodb.Table(name).scan()["Items"], key=lambda item: json.dumps(item, default=str))
        buckets = {}
        for bucket in s3.list_buckets()["Buckets"]:
            versions = s3.list_object_versions(Bucket=bucket["Name"]).get("Versions", [])
            buckets[bucket["Name"]] = sorted((version["Key"], version["ETag"]) for version in versions)
        return {"tables": tables, "buckets": buckets}

    return take


def assert_error(response, code: str, *fragments: str) -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == code and set(body) == {"detail", "code"}
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]


def health() -> tuple[int, dict]:
    """/healthz as staff read it: what is wrong, not only a state word."""
    staff = APIClient()
    staff.force_login(get_user_model().objects.get(username="root"))
    response = staff.get("/healthz")
    return response.status_code, response.json()


def patch(api, url: str, body: dict):
    return api.patch(url, body, format="json")


# ---- S3 down or slow --------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["down", "slow"])
def test_s3_down_or_slow(api, snapshot, settings, fault):
    silent = SilentServer() if fault == "slow" else None
    settings.AWS_READ_TIMEOUT = 0.5
    before = snapshot()
    point_settings_at(settings, silent.url if silent else CLOSED_PORT, services=("s3",))
    try:
        started = time.monotonic()
        assert_error(patch(api, "/api/jobs/inline/", {"execution_steps": LARGE}), "unavailable", "Cannot reach S3")
        assert api.get("/api/repairs/").status_code == 200  # the recorded scan: no AWS request
        detail = api.get("/api/jobs/offloaded/")  # the job is still served, with why its steps are not
        assert detail.status_code == 200 and detail.json()["execution_steps"] is None
        assert "Cannot reach S3" in detail.json()["execution_steps_error"]
        assert time.monotonic() - started < 10  # timeouts, not hangs
        assert api.get("/api/projects/p1/").status_code == 200  # what needs DynamoDB only goes on
        assert snapshot() == before
        status, body = health()
        assert status == 503 and body["dynamodb"] == "ok" and body["s3"].startswith("Cannot reach S3")
        assert ("Read timeout" in body["s3"]) == (fault == "slow")
    finally:
        if silent:
            silent.close()


def test_inline_steps_are_written_while_s3_is_down_and_the_old_object_left_for_the_repair(world, api, settings):
    point_settings_at(settings, CLOSED_PORT, services=("s3",))
    response = patch(api, "/api/jobs/offloaded/", {"execution_steps": SMALL})
    assert response.status_code == 200 and response.json()["execution_steps_location"] == "inline"
    point_settings_at(settings, world, services=("s3",))  # S3 is back
    findings = stale_keys_scan(min_orphan_age=0).findings
    assert [(finding.kind, finding.s3_key) for finding in findings] == [(ORPHAN_OBJECT, steps_key("offloaded"))]


# ---- DynamoDB slow or throttling --------------------------------------------------------------------


def test_dynamodb_slow(api, snapshot, settings):
    silent = SilentServer()
    settings.AWS_READ_TIMEOUT = 0.5
    before = snapshot()
    point_settings_at(settings, silent.url, services=("dynamodb",))
    try:
        assert_error(api.get("/api/projects/"), "unavailable", "Cannot reach DynamoDB", "Read timeout")
        assert_error(patch(api, "/api/projects/p1/", {"status": "x"}), "unavailable", "Cannot reach DynamoDB")
        assert_error(patch(api, "/api/jobs/inline/", {"execution_steps": LARGE}), "unavailable")
        status, body = health()
        assert status == 503 and "Read timeout" in body["dynamodb"] and body["s3"] == "ok"
    finally:
        silent.close()
    assert snapshot() == before


def test_dynamodb_throttling(api, snapshot, fail_calls):
    before = snapshot()
    client = dynamodb_client()
    for operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan", "Query", "BatchGetItem"):
        fail_calls(client, "ProvisionedThroughputExceededException", operation, message="Throughput exceeded.")
    fail_calls(client, "ThrottlingException", "DescribeTable", message="Rate of requests exceeds the allowed rate.")
    for response in (
        api.get("/api/projects/"),
        api.get("/api/jobs/offloaded/"),
        patch(api, "/api/projects/p1/stages/build/", {"status": "completed"}),
        patch(api, "/api/jobs/inline/", {"execution_steps": LARGE}),
        api.post("/api/artifacts/", {"artifact_type": "code", "name": "c", "url": "https://e.com/c"}, format="json"),
    ):
        assert_error(response, "unavailable", "is throttling", "Retry later")
    assert snapshot() == before  # nothing uploaded for the refused job write either
    status, body = health()
    assert status == 503 and "is throttling" in body["dynamodb"] and body["s3"] == "ok"


# ---- a table or the bucket missing ------------------------------------------------------------------


def test_a_table_deleted_under_the_api(api, snapshot):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_JOBS_TABLE)
    before = snapshot()
    for response in (api.get("/api/jobs/"), patch(api, "/api/jobs/inline/", {"execution_steps": LARGE})):
        assert_error(response, "table_missing", f"'{settings.DYNAMODB_JOBS_TABLE}' does not exist", "bootstrap_aws")
    assert api.get("/api/projects/p1/").status_code == 200  # the other tables are served
    assert snapshot() == before  # no table re-created, no object uploaded
    status, body = health()
    assert status == 503 and body == {
        "dynamodb": f"missing table(s) {settings.DYNAMODB_JOBS_TABLE}; run `python manage.py bootstrap_aws`",
        "s3": "ok",
    }


def test_the_bucket_deleted_under_the_api(api, snapshot):
    client = s3_storage().s3_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    for version in client.list_object_versions(Bucket=bucket).get("Versions", []):
        client.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    client.delete_bucket(Bucket=bucket)
    before = snapshot()
    assert_error(patch(api, "/api/jobs/inline/", {"execution_steps": LARGE}), "bucket_missing", bucket, "bootstrap_aws")
    detail = api.get("/api/jobs/offloaded/").json()
    assert detail["execution_steps"] is None and bucket in detail["execution_steps_error"]
    assert snapshot() == before
    status, body = health()
    assert status == 503 and body == {
        "dynamodb": "ok",
        "s3": f"missing bucket {bucket}; run `python manage.py bootstrap_aws`",
    }


# ---- the endpoint going away mid-request ------------------------------------------------------------


@pytest.fixture
def proxy(world, settings):
    proxy = CuttingProxy(world)
    point_settings_at(settings, proxy.url)
    yield proxy
    proxy.close()


def assert_whole(job_id: str) -> dict:
    """The job is whole: steps in one place, a key only with its object, no orphan unreported."""
    item = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"]
    assert not (STEPS in item and STEPS_KEY in item)
    store = ExecutionStepsStore()
    if STEPS_KEY in item:
        assert store.head(item[STEPS_KEY]) is not None
    referenced = {record for record in [item.get(STEPS_KEY)] if record}
    unreferenced = {stored.key for stored in store.list_objects() if stored.key.startswith(f"jobs/{job_id}/")}
    findings = {(f.kind, f.s3_key) for f in stale_keys_scan(min_orphan_age=0).findings if f.job_id == job_id}
    assert findings == {(ORPHAN_OBJECT, key) for key in unreferenced - referenced}
    return item


def test_a_write_cut_off_before_dynamodb_saw_it_changes_nothing(api, proxy, snapshot):
    before = snapshot()
    proxy.cut("before", "POST", "UpdateItem")
    response = patch(api, "/api/projects/p1/stages/build/", {"status": "completed"})
    assert_error(response, "unavailable", "Cannot reach DynamoDB")
    assert proxy.pending == 0 and snapshot() == before
    proxy.cut("before", "POST", "BatchGetItem")
    status, body = health()
    assert status == 503 and body["dynamodb"].startswith("Cannot reach DynamoDB") and body["s3"] == "ok"


@pytest.mark.parametrize(
    "when, method, marker",
    [
        ("after", "POST", "UpdateItem"),  # DynamoDB pointed the job at its new object; the answer was lost
        ("after", "PUT", "/jobs/inline/"),  # S3 stored the object; the answer was lost
        ("before", "PUT", "/jobs/inline/"),  # S3 never got the object
    ],
)
def test_an_offload_cut_off_leaves_the_job_whole(api, proxy, when, method, marker):
    proxy.cut(when, method, marker)
    assert_error(patch(api, "/api/jobs/inline/", {"execution_steps": LARGE}), "unavailable", "Cannot reach")
    assert proxy.pending == 0
    item = assert_whole("inline")
    done = when == "after" and method == "POST"
    assert (STEPS_KEY in item) == done and item.get(STEPS) == (None if done else SMALL)
    again = patch(api, "/api/jobs/inline/", {"execution_steps": LARGE})  # the client retries
    assert again.status_code == 200 and again.json()["execution_steps"] == LARGE
    assert_whole("inline")


def test_aws_max_attempts_counts_every_attempt_as_boto3_does(api, proxy, settings):
    settings.AWS_MAX_ATTEMPTS = 2
    for _ in range(3):
        proxy.cut("before", "POST", "GetItem")
    assert_error(api.get("/api/jobs/inline/"), "unavailable", "Cannot reach DynamoDB")
    assert proxy.pending == 1  # two attempts in all, the first one included


def test_an_offload_whose_answer_is_lost_and_retried_by_botocore_stays_whole(api, proxy, settings):
    # With retries on, as in production: botocore sends the write again, which now finds the item
    # changed (by its own first attempt). The upload must not be taken back as if nothing was done.
    settings.AWS_MAX_ATTEMPTS = 3
    proxy.cut("after", "POST", "UpdateItem")
    for _ in range(settings.AWS_MAX_ATTEMPTS):  # and the write's own retry cannot upload again
        proxy.cut("before", "PUT", "/jobs/inline/")
    response = patch(api, "/api/jobs/inline/", {"execution_steps": LARGE})
    assert_error(response, "unavailable", "Cannot reach S3")
    assert proxy.pending == 0
    item = assert_whole("inline")
    assert ExecutionStepsStore().load(item[STEPS_KEY]) == LARGE
