"""Shared fixtures: AWS on moto (in-process for speed, a moto server for end-to-end), users with
permissions, and a Playwright browser on Debian's chromium."""

import logging
import os
import threading
import uuid

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

import psycopg
import pytest
import requests
from botocore.exceptions import ClientError
from django.contrib.auth.models import Permission
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from core import bootstrap
from tests.postgres_plugin import POSTGRES_URL
from tests.servers import redis_server

# Before the test modules import it: its helpers assert.
pytest.register_assert_rewrite("tests.integration.artifacts_support")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def postgres_url(request):
    """The throwaway PostgreSQL server of `pytest --postgres` (tests/postgres_plugin.py)."""
    if not request.config.getoption("--postgres"):
        pytest.skip("needs --postgres")
    return request.config.stash[POSTGRES_URL]


@pytest.fixture
def shared_database_url(request, tmp_path):
    """A database for the app processes a test starts: a new PostgreSQL database with --postgres,
    otherwise an SQLite file."""
    if not request.config.getoption("--postgres"):
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    server = request.getfixturevalue("postgres_url")
    name = f"processes_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway Redis server for the session (Debian's redis-server, a free loopback port)."""
    with redis_server() as url:
        yield url


@pytest.fixture
def aws():
    """DynamoDB and S3 on moto's in-process mock, with the three tables and the bucket created."""
    with mock_aws():
        bootstrap.ensure()
        yield


@pytest.fixture(scope="session")
def moto_server():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def point_settings_at(settings, endpoint: str, services=("dynamodb", "s3")) -> None:
    if set(services) == {"dynamodb", "s3"}:
        settings.AWS_ENDPOINT_URL = endpoint
    if "dynamodb" in services:
        settings.AWS_ENDPOINT_URL_DYNAMODB = endpoint
    if "s3" in services:
        settings.AWS_ENDPOINT_URL_S3 = endpoint
        storages = {name: dict(spec) for name, spec in settings.STORAGES.items()}
        storages["execution_steps"]["OPTIONS"] = {**storages["execution_steps"]["OPTIONS"], "endpoint_url": endpoint}
        settings.STORAGES = storages  # the setting_changed signal drops cached storage instances


@pytest.fixture
def aws_server(moto_server, settings):
    """AWS over HTTP on a moto server (reset for each test), tables and bucket created."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    point_settings_at(settings, moto_server)
    bootstrap.ensure()
    yield moto_server


@pytest.fixture(scope="session")
def atomic_moto_server():
    """A moto server that handles one request at a time.

    DynamoDB applies each conditional write atomically; moto checks the condition and applies the
    update as separate steps, so under parallel requests two writers can pass the same condition.
    Serving one request at a time restores the per-request atomicity that concurrency tests need,
    while client threads still interleave freely between their reads and writes.
    """
    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def atomic_aws(atomic_moto_server, settings):
    """AWS on the one-request-at-a-time moto server, reset, tables and bucket created."""
    requests.post(f"{atomic_moto_server}/moto-api/reset", timeout=10).raise_for_status()
    point_settings_at(settings, atomic_moto_server)
    bootstrap.ensure()


@pytest.fixture
def fail_calls():
    """fail_calls(client, code, operation=None): from now until the test ends, every call of that
    boto3 client (clients are per thread), or only of `operation`, fails with the ClientError AWS
    answers with `code`. The request never leaves the client, as botocore's own stubs do it."""
    installed = []

    def install(client, code: str, operation: str | None = None, message: str = "Refused by the test.") -> None:
        event = f"before-call.{client.meta.service_model.service_id.hyphenize()}"
        event += f".{operation}" if operation else ""

        def fail(model, **_kwargs):
            error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            raise ClientError(error, model.name)

        client.meta.events.register(event, fail)
        installed.append((client, event, fail))

    yield install
    for client, event, handler in installed:
        client.meta.events.unregister(event, handler)


@pytest.fixture
def make_user(django_user_model):
    """make_user("name", perms=["projects.view_project"], staff=True) -> user (password "pw")."""

    def make(username="staff", *, perms=(), staff=True, superuser=False):
        user = django_user_model.objects.create_user(
            username=username, password="pw", is_staff=staff, is_superuser=superuser
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return django_user_model.objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (tokens' users, throttle counts, the health report):
    the cache outlives a test, while each test's database is rolled back."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def superuser(make_user):
    return make_user("root", staff=True, superuser=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def admin_page(page, live_server, aws_server, superuser):
    """A browser page logged into the admin as a superuser, on a live server backed by moto's server."""
    log_in(page, live_server.url, "root")
    return page


def log_in(page, base_url: str, username: str, password: str = "pw") -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
