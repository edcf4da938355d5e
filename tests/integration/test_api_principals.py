"""Who a token is and what they may do: read by DRF's TokenAuthentication and Django's ModelBackend,
kept in Django's cache for API_AUTH_CACHE_SECONDS, forgotten at once on any change made through
Django, and at most that many seconds late for a change that sends no signal."""

import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

URL = "/api/jobs/job-1/"
READS = 3  # the token with its user, the user's own permissions, its groups' permissions


@pytest.fixture
def job(aws):
    from django.conf import settings

    from core.dynamo.connection import dynamodb_table

    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "job-1", "status": "running"})


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def client_of(user) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def get(client: APIClient) -> tuple[int, int]:
    """(status, SQL queries) of one GET of the job."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(URL).status_code
    return status, len(queries)


def test_a_client_s_next_requests_need_no_query_and_see_the_same_user(job, make_user):
    client = client_of(make_user("reader", perms=["jobs.view_job"]))
    assert get(client) == (200, READS)
    assert get(client) == (200, 0)
    response = client.get(URL)
    assert response.wsgi_request.user.username == "reader"
    assert response.wsgi_request.auth.user.username == "reader"  # request.auth: DRF's Token


def test_group_permissions_come_from_the_cache_too(job, make_user):
    group = Group.objects.create(name="readers")
    group.permissions.add(permission("jobs.view_job"))
    user = make_user("member")
    user.groups.add(group)
    client = client_of(user)
    assert get(client) == (200, READS)
    assert get(client) == (200, 0)


def test_an_unknown_token_is_refused_every_time_and_never_remembered(job):
    stranger = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = stranger.get(URL)
        assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
        assert len(queries) == 1  # looked up again


def remove_own_permission(user):
    user.user_permissions.remove(permission("jobs.view_job"))


def deactivate(user):
    user.is_active = False
    user.save()


@pytest.mark.parametrize(
    ("route", "change", "refused_with"),
    [
        ("own", lambda user: Token.objects.get(user=user).delete(), 401),
        ("own", deactivate, 401),
        ("own", remove_own_permission, 403),
        ("group", lambda user: user.groups.clear(), 403),
        ("group", lambda user: user.groups.get().permissions.clear(), 403),
        ("group", lambda user: user.groups.get().delete(), 403),
        ("group", lambda user: permission("jobs.view_job").delete(), 403),
    ],
    ids=[
        "token-deleted",
        "user-deactivated",
        "permission-removed",
        "removed-from-group",
        "group-lost-permission",
        "group-deleted",
        "permission-deleted",
    ],
)
def test_a_change_applies_to_the_very_next_request(job, make_user, route, change, refused_with):
    """`route`: whether the user holds jobs.view_job directly or through a group."""
    user = make_user("member", perms=["jobs.view_job"] if route == "own" else [])
    if route == "group":
        group = Group.objects.create(name="readers")
        group.permissions.add(permission("jobs.view_job"))
        user.groups.add(group)
    client = client_of(user)
    assert get(client)[0] == 200
    assert get(client) == (200, 0)  # remembered
    change(user)
    assert get(client)[0] == refused_with


def test_a_permission_given_applies_to_the_very_next_request(job, make_user):
    user = make_user("newcomer")
    client = client_of(user)
    assert get(client)[0] == 403
    user.user_permissions.add(permission("jobs.view_job"))
    assert get(client)[0] == 200


def test_a_change_that_sends_no_signal_applies_once_the_entry_expires(job, make_user, settings):
    """A queryset update sends no signal: the kept user is trusted until API_AUTH_CACHE_SECONDS
    have passed, then read again."""
    settings.API_AUTH_CACHE_SECONDS = 1
    user = make_user("remote", perms=["jobs.view_job"])
    client = client_of(user)
    assert get(client) == (200, READS)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal
    assert get(client) == (200, 0)
    time.sleep(1.1)
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."


def test_zero_seconds_reads_the_token_on_every_request(job, make_user, settings):
    settings.API_AUTH_CACHE_SECONDS = 0
    client = client_of(make_user("strict", perms=["jobs.view_job"]))
    assert [get(client) for _ in range(3)] == [(200, READS)] * 3


def test_each_request_gets_its_own_user_object(job, make_user):
    client = client_of(make_user("twice", perms=["jobs.view_job"]))
    first = client.get(URL).wsgi_request.user
    first.username = "changed by a request"
    second = client.get(URL)
    assert second.status_code == 200
    assert second.wsgi_request.user.username == "twice" and second.wsgi_request.user is not first
