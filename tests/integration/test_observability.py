"""What production operators read: one JSON log line per request carrying its request id, and
Prometheus metrics at /metrics (staff only) counting requests, AWS calls, conflicts and repairs."""

import json
import logging
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from prometheus_client import REGISTRY
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.dynamo.retry import retry_on_conflict
from core.errors import ConditionFailed, Conflict
from core.observability import JsonFormatter, RequestIdFilter
from jobs.steps_store import steps_key

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

ROUTE = "/api/jobs/(?P<job_id>[^/]+)/$"  # the URL pattern, as Django resolved it: one label per route


@pytest.fixture
def job(aws):
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "job-1", "status": "running"})


@pytest.fixture
def api(superuser):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser).key}")


@pytest.fixture
def log_lines():
    """The JSON lines the project's log handler would print, as dicts."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_one_json_line_per_request_with_route_status_duration_and_aws_calls(job, api, log_lines):
    response = api.get("/api/jobs/job-1/")
    assert response.status_code == 200
    (line,) = [line for line in log_lines if line["logger"] == "request"]
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) == 32
    assert line["route"] == ROUTE and line["path"] == "/api/jobs/job-1/"
    assert (line["method"], line["status"], line["aws_calls"]) == ("GET", 200, 1)
    assert line["duration_ms"] > 0 and line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_every_line_of_a_request_carries_its_id_and_a_proxy_s_id_is_kept(job, api, log_lines):
    response = api.get("/api/jobs/missing/", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.status_code == 404 and response["X-Request-ID"] == "lb-1234.abc"
    assert {line["logger"] for line in log_lines} >= {"request", "django.request"}  # Django's warning too
    assert {line["request_id"] for line in log_lines} == {"lb-1234.abc"}


def test_a_request_id_that_does_not_look_like_one_is_replaced(job, api, log_lines):
    response = api.get("/api/jobs/job-1/", headers={"X-Request-ID": 'x"\n{"level": "forged"}'})
    assert response["X-Request-ID"] != 'x"\n{"level": "forged"}' and len(response["X-Request-ID"]) == 32


def test_an_error_s_traceback_stays_inside_its_json_line():
    record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here" and "ValueError: boom" in parsed["exception"]


def test_metrics_are_for_staff_only(aws, make_user):
    assert APIClient().get("/metrics").status_code == 401
    reader = make_user("reader", perms=["jobs.view_job"], staff=False)
    refused = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}").get("/metrics")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_metrics_count_requests_and_aws_calls_by_outcome(job, api):
    route = ROUTE
    before = {
        "ok": sample("http_requests_total", method="GET", route=route, status="200"),
        "missing": sample("http_requests_total", method="GET", route=route, status="404"),
        "get": sample("aws_call_duration_seconds_count", service="dynamodb", operation="GetItem", outcome="ok"),
        "refused": sample(
            "aws_call_duration_seconds_count",
            service="dynamodb",
            operation="DescribeTable",
            outcome="ResourceNotFoundException",
        ),
    }
    assert api.get("/api/jobs/job-1/").status_code == 200
    assert api.get("/api/jobs/nothing/").status_code == 404
    with pytest.raises(Exception):
        dynamodb_client().describe_table(TableName="no-such-table")
    response = api.get("/metrics", headers={"Accept": "text/plain"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert f'http_requests_total{{method="GET",route="{route}",status="200"}} {before["ok"] + 1}' in text
    assert sample("http_requests_total", method="GET", route=route, status="404") == before["missing"] + 1
    assert (
        sample("aws_call_duration_seconds_count", service="dynamodb", operation="GetItem", outcome="ok")
        == before["get"] + 2
    )
    assert (
        sample(
            "aws_call_duration_seconds_count",
            service="dynamodb",
            operation="DescribeTable",
            outcome="ResourceNotFoundException",
        )
        == before["refused"] + 1
    )
    assert sample("aws_call_duration_seconds_sum", service="dynamodb", operation="GetItem", outcome="ok") > 0


def test_odd_method_names_share_one_label(aws, client):
    before = sample("http_requests_total", method="other", route="/healthz", status="405")
    for method in ("BREW", "PROPFIND", "X" * 300):
        assert client.generic(method, "/healthz").status_code == 405
    assert sample("http_requests_total", method="other", route="/healthz", status="405") == before + 3


def test_aws_calls_that_get_no_answer_are_counted_by_the_client_s_error(settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    labels = {"service": "dynamodb", "operation": "GetItem", "outcome": "EndpointConnectionError"}
    before = sample("aws_call_duration_seconds_count", **labels)
    with pytest.raises(Exception):
        dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "x"})
    assert sample("aws_call_duration_seconds_count", **labels) == before + 1


def test_conditional_write_conflicts_are_counted_retried_or_given_up():
    retried, gave_up = (
        sample("conditional_write_conflicts_total", result="retried"),
        sample("conditional_write_conflicts_total", result="gave_up"),
    )
    outcomes = iter([ConditionFailed("changed"), "written"])

    def attempt():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_on_conflict(attempt, what="The item") == "written"

    def always_changed():
        raise ConditionFailed("changed")

    with pytest.raises(Conflict):
        retry_on_conflict(always_changed, what="The item", attempts=2)
    assert sample("conditional_write_conflicts_total", result="retried") == retried + 2
    assert sample("conditional_write_conflicts_total", result="gave_up") == gave_up + 1


def test_repairs_applied_are_counted_by_kind(aws, capsys):
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    table.put_item(Item={"job_id": "lost", "status": "done", "execution_steps_s3_key": steps_key("lost")})
    before = sample("stale_key_repairs_applied_total", kind="dangling_key")
    call_command("repair_stale_keys", "--apply", "--kind", "dangling_key")
    assert sample("stale_key_repairs_applied_total", kind="dangling_key") == before + 1
