"""Who a token is and what they may do: read in one query each (core.auth, core.api.authentication),
remembered by the process for API_AUTH_CACHE_SECONDS, forgotten at once on any change made in
this process, and at most that many seconds late for a change made elsewhere."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.api import authentication
from core.auth import PermissionsBackend

pytestmark = pytest.mark.django_db

URL = "/api/jobs/job-1/"


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


# ---- the permissions backend --------------------------------------------------------------------


def test_the_backend_answers_as_django_model_backend_in_one_query(make_user, django_user_model):
    editors = Group.objects.create(name="editors")
    editors.permissions.add(permission("projects.change_project"), permission("jobs.view_job"))
    user = make_user("mixed", perms=["jobs.view_job", "artifacts.view_artifact"])
    user.groups.add(editors, Group.objects.create(name="empty"))
    inactive = make_user("gone", perms=["jobs.view_job"])
    inactive.is_active = False
    inactive.save()
    for subject in (user, inactive, make_user("nobody"), make_user("root", superuser=True)):
        fresh = django_user_model.objects.get(pk=subject.pk)
        with CaptureQueriesContext(connection) as queries:
            ours = PermissionsBackend().get_all_permissions(fresh)
        expected = ModelBackend().get_all_permissions(django_user_model.objects.get(pk=subject.pk))
        assert ours == expected, subject.username
        assert len(queries) <= 1 or subject.is_superuser
    assert PermissionsBackend().get_all_permissions(user) == {
        "jobs.view_job",
        "artifacts.view_artifact",
        "projects.change_project",
    }


# ---- the token cache ----------------------------------------------------------------------------


def test_a_client_s_next_requests_need_no_query_and_see_the_same_user(job, make_user):
    client = client_of(make_user("reader", perms=["jobs.view_job"]))
    assert get(client) == (200, 2)  # the token's user, then the permissions
    assert get(client) == (200, 0)
    assert client.get("/api/jobs/job-1/", {"unused": "x"}).wsgi_request.user.username == "reader"


def test_an_unknown_token_is_refused_every_time_and_never_remembered(job):
    stranger = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _ in range(2):
        response = stranger.get(URL)
        assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert authentication._principals == {}


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
def test_a_change_made_in_this_process_applies_to_the_very_next_request(job, make_user, route, change, refused_with):
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


def test_a_change_made_elsewhere_applies_once_the_entry_expires(job, make_user, settings, monkeypatch):
    """Another process's change sends no signal here (a queryset update stands for it): the
    remembered user is trusted until API_AUTH_CACHE_SECONDS have passed, then read again."""
    settings.API_AUTH_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now[0])
    user = make_user("remote", perms=["jobs.view_job"])
    client = client_of(user)
    assert get(client) == (200, 2)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal
    now[0] += 4.9
    assert get(client) == (200, 0)
    now[0] += 0.2
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."


def test_zero_seconds_reads_the_token_on_every_request(job, make_user, settings):
    settings.API_AUTH_CACHE_SECONDS = 0
    client = client_of(make_user("strict", perms=["jobs.view_job"]))
    assert [get(client) for _ in range(3)] == [(200, 2)] * 3
    assert authentication._principals == {}


def test_the_cache_holds_a_bounded_number_of_tokens(job, make_user, monkeypatch):
    monkeypatch.setattr(authentication, "MAX_ENTRIES", 3)
    clients = [client_of(make_user(f"user{n}", perms=["jobs.view_job"])) for n in range(5)]
    for client in clients:
        assert get(client)[0] == 200
        assert len(authentication._principals) <= 3


def test_each_request_gets_its_own_user_object(job, make_user):
    client = client_of(make_user("twice", perms=["jobs.view_job"]))
    first = client.get(URL).wsgi_request.user
    first.username = "changed by a request"
    first._perm_cache.clear()
    second = client.get(URL)
    assert second.status_code == 200
    assert second.wsgi_request.user.username == "twice" and second.wsgi_request.user is not first
