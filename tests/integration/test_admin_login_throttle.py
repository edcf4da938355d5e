"""Admin logins are throttled (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
username from one client address, that pair is refused, right password or not, in every process
(the attempts live in the shared database); the client's address is the one the nearest proxy
saw, so rotating X-Forwarded-For does not reset the count."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

LOGIN = "/admin/login/?next=/admin/"
PROXY = "10.0.0.1"  # the address the proxy saw, which it appends to X-Forwarded-For


def log_in(password: str, *, username: str = "root", claimed: str = "203.0.113.9", proxy: str = PROXY):
    """A login through one proxy; `claimed` is what the client itself put in X-Forwarded-For."""
    return Client().post(
        LOGIN, {"username": username, "password": password}, headers={"X-Forwarded-For": f"{claimed}, {proxy}"}
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_a_username_is_locked_out_from_an_address_after_the_failure_limit(superuser, make_user, settings):
    make_user("other")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in("wrong", claimed=f"198.51.100.{attempt}").status_code == 200  # the form again
    locked = log_in("wrong", claimed="198.51.100.250")
    assert locked.status_code == 429
    assert not logged_in(log_in("pw"))  # the right password too, while locked
    assert logged_in(log_in("pw", username="other"))  # another username from that address
    assert logged_in(log_in("pw", proxy="10.0.0.2"))  # the same username seen from elsewhere
    attempt = AccessAttempt.objects.get(username="root", ip_address=PROXY)
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT + 1  # a login while locked counts too


def test_a_success_before_the_limit_starts_the_count_again(superuser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("wrong")
    assert logged_in(log_in("pw"))
    assert log_in("wrong").status_code == 200
    assert logged_in(log_in("pw"))


def test_axes_reset_unlocks(superuser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("wrong")
    assert log_in("pw").status_code == 429
    call_command("axes_reset", verbosity=0)
    assert logged_in(log_in("pw"))
