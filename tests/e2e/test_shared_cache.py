"""Several app processes sharing one Redis (CACHE_URL) and one database, as in production: they
count one throttle between them, and a token revoked or a permission removed by a third process
(`manage.py drf_create_token -r`, a shell) is refused by both on their very next request, although
each had the token's user cached for minutes. Their metrics add up in PROMETHEUS_MULTIPROC_DIR, as
`make serve`'s workers' do."""

import re

import pytest
import redis
import requests
from django.conf import settings

from core.dynamo.connection import dynamodb_table
from tests.e2e.test_production_settings import PRODUCTION, run
from tests.servers import app_server

pytestmark = pytest.mark.shared_db

HOST = PRODUCTION["DJANGO_ALLOWED_HOSTS"]


@pytest.fixture
def environment(aws_server, redis_url, shared_database_url, tmp_path):
    redis.Redis.from_url(redis_url).flushdb()
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "job-1", "status": "running"})
    env = {
        **PRODUCTION,
        "DATABASE_URL": shared_database_url,
        "CACHE_URL": redis_url,
        "AWS_ENDPOINT_URL": aws_server,
        "API_AUTH_CACHE_SECONDS": "600",  # so that only the shared deletion can explain a refusal
        "API_THROTTLE_USER": "8/day",  # one window for the whole test
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    manage(env, "migrate", "-v0")
    script = (
        "from django.contrib.auth.models import Permission, User\n"
        "view = Permission.objects.get(codename='view_job')\n"
        "for name in ('busy', 'reader', 'viewer'):\n"
        "    User.objects.create_user(name, is_staff=True).user_permissions.add(view)\n"
    )
    manage(env, "shell", "-c", script)
    return env


def manage(env: dict, *args: str) -> str:
    done = run("manage.py", *args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def token(env: dict, username: str, *options: str) -> str:
    out = manage(env, "drf_create_token", username, *options)
    return re.fullmatch(rf"Generated token (\w+) for user {username}\n", out).group(1)


def get(base: str, key: str, path: str = "/api/jobs/job-1/") -> requests.Response:
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Authorization": f"Token {key}"}
    return requests.get(f"{base}{path}", headers=headers, timeout=30)


def test_two_processes_count_one_throttle_and_refuse_at_once_what_a_third_revoked(environment):
    busy, reader, viewer = (token(environment, name) for name in ("busy", "reader", "viewer"))
    with app_server(environment) as first, app_server(environment) as second:
        # One throttle: 8 a day between them, whichever process answers.
        assert [get(base, busy).status_code for base in (first, second) * 5] == [200] * 8 + [429] * 2

        # Both processes now hold the reader's and the viewer's users in the cache.
        assert [get(base, key).status_code for base in (first, second) for key in (reader, viewer)] == [200] * 4
        assert [get(base, key).status_code for base in (first, second) for key in (reader, viewer)] == [200] * 4

        renewed = token(environment, "reader", "-r")  # a third process replaces the reader's token
        assert [get(first, reader).status_code, get(second, reader).status_code] == [401, 401]
        assert [get(first, renewed).status_code, get(second, renewed).status_code] == [200, 200]

        script = (
            "from django.contrib.auth.models import User\n"
            "User.objects.get(username='viewer').user_permissions.clear()\n"
        )
        manage(environment, "shell", "-c", script)
        assert [get(first, viewer).status_code, get(second, viewer).status_code] == [403, 403]

        # Either process answers /metrics for both: the busy user's two 429s, one from each.
        metrics = get(second, renewed, "/metrics")
        assert metrics.status_code == 200
        assert 'route="/api/jobs/(?P<job_id>[^/]+)/$",status="429"} 2.0' in metrics.text
