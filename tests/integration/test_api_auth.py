"""Authentication and abuse limits: tokens made by `manage.py drf_create_token`, CSRF on every
session write (API and admin), and the anonymous and per-user throttles."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.admin.utils import quote
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from artifacts.services import ArtifactContent, artifact_create
from core.dynamo.connection import dynamodb_table
from tests.threads import in_threads

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]


@pytest.fixture
def job(aws):
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    table.put_item(Item={"job_id": "job-1", "status": "running"})
    return lambda: table.get_item(Key={"job_id": "job-1"})["Item"]


def create_token(username: str, *options: str) -> str:
    out = io.StringIO()
    call_command("drf_create_token", username, *options, stdout=out)
    return re.fullmatch(r"Generated token (\w+) for user \w+\n", out.getvalue()).group(1)


def token_client(key: str, **kwargs) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}", **kwargs)


# ---- tokens -------------------------------------------------------------------------------------


def test_a_token_from_drf_create_token_authenticates_and_a_regenerated_one_replaces_it(job, make_user):
    make_user("worker", perms=["jobs.view_job"])
    first = create_token("worker")
    assert create_token("worker") == first  # asking again shows the same token
    assert token_client(first).get("/api/jobs/job-1/").json()["status"] == "running"
    second = create_token("worker", "-r")
    assert second != first
    assert token_client(first).get("/api/jobs/job-1/").json()["code"] == "authentication_failed"
    assert token_client(second).get("/api/jobs/job-1/").status_code == 200


def test_a_token_of_a_deactivated_user_stops_working(job, make_user):
    user = make_user("leaver", perms=["jobs.view_job"])
    key = create_token("leaver")
    user.is_active = False
    user.save()
    response = token_client(key).get("/api/jobs/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


# ---- CSRF ---------------------------------------------------------------------------------------


def test_session_writes_to_the_api_need_the_csrf_token_token_writes_do_not(job, superuser):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    refused = browser.patch("/api/jobs/job-1/", {"status": "hijacked"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("CSRF Failed")
    assert job()["status"] == "running"
    assert browser.get("/api/jobs/job-1/").status_code == 200  # reads need no token
    browser.get("/admin/")  # the admin sets the CSRF cookie
    accepted = browser.patch(
        "/api/jobs/job-1/",
        {"status": "done"},
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )
    assert accepted.status_code == 200 and job()["status"] == "done"
    service = token_client(create_token("root"), enforce_csrf_checks=True)
    assert service.patch("/api/jobs/job-1/", {"status": "again"}, format="json").status_code == 200


@pytest.mark.parametrize("page, form", [("delete", {"post": "yes"}), ("repair", {"scope": "kind:dangling_key"})])
def test_admin_posts_without_the_csrf_token_are_refused(aws, superuser, page, form):
    url = "https://example.com/model"
    artifact_id = artifact_create(content=ArtifactContent(artifact_type="model", name="M", url=url)).artifact_id
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    target = {
        "delete": f"/admin/artifacts/artifact/{quote(artifact_id)}/delete/",
        "repair": "/admin/jobs/stalekeyrepair/repair/",
    }[page]
    assert browser.post(target, form).status_code == 403
    table = dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE)
    assert "Item" in table.get_item(Key={"artifact_id": artifact_id})


# ---- throttling ---------------------------------------------------------------------------------


@pytest.fixture
def rates(monkeypatch):
    """Low throttle rates. DRF's throttles read DEFAULT_THROTTLE_RATES once, at import, so
    override_settings cannot change them; their history lives in the cache, emptied around each test."""
    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"})
    yield
    cache.clear()


def assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and "throttled" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_user_is_throttled_on_its_own_and_a_throttled_write_writes_nothing(job, make_user, rates):
    busy = token_client(create_token(make_user("busy", perms=["jobs.view_job", "jobs.change_job"]).username))
    other = token_client(create_token(make_user("other", perms=["jobs.view_job"]).username))
    assert [busy.get("/api/jobs/").status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(busy.patch("/api/jobs/job-1/", {"status": "done"}, format="json"))
    assert job()["status"] == "running"
    assert other.get("/api/jobs/").status_code == 200


def test_anonymous_clients_are_throttled(aws, rates):
    anonymous = APIClient()
    assert [anonymous.get("/api/schema/?format=json").status_code for _ in range(2)] == [200, 200]
    assert_throttled(anonymous.get("/api/schema/?format=json"))


def test_a_user_s_requests_are_counted_per_window_and_retry_after_names_its_end(job, make_user, rates, monkeypatch):
    now = [6_000_000.0 + 45]  # 45 s into a minute
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now[0])
    client = token_client(create_token(make_user("steady", perms=["jobs.view_job"]).username))
    assert [client.get("/api/jobs/").status_code for _ in range(3)] == [200, 200, 200]
    now[0] += 5
    refused = client.get("/api/jobs/")
    assert refused.status_code == 429 and refused["Retry-After"] == "10"  # the minute ends in 10 s
    now[0] += 10  # a new minute
    assert [client.get("/api/jobs/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_concurrent_requests_are_counted_exactly(make_user, rates):
    """The counter is raised with the cache's atomic increment: 40 requests at once, 3 let through."""
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from core.api.throttling import UserRateThrottle

    user = make_user("burst")
    verdicts = []

    def one_request():
        request = APIRequestFactory().get("/api/jobs/")
        force_authenticate(request, user)
        verdicts.append(UserRateThrottle().allow_request(APIView().initialize_request(request), None))

    assert in_threads(*[one_request] * 40) == []
    assert sorted(verdicts) == [False] * 37 + [True] * 3


def test_rotating_x_forwarded_for_does_not_escape_the_anonymous_throttle(aws, rates):
    """Behind one proxy (NUM_PROXIES=1) the client is the address the proxy appended: what the
    client claims before it changes nothing. Another address seen by the proxy counts apart."""
    anonymous = APIClient()

    def claimed(address: str, proxy_saw: str = "198.51.100.7"):
        return anonymous.get("/api/schema/?format=json", headers={"X-Forwarded-For": f"{address}, {proxy_saw}"})

    assert [claimed(f"203.0.113.{n}").status_code for n in range(2)] == [200, 200]
    assert_throttled(claimed("203.0.113.99"))
    assert claimed("203.0.113.99", proxy_saw="198.51.100.8").status_code == 200


def test_without_a_proxy_the_header_is_ignored(aws, rates, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    anonymous = APIClient()
    statuses = [
        anonymous.get("/api/schema/?format=json", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
