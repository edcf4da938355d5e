"""The API served as in production: gunicorn with `make serve`'s worker timeout, DJANGO_DEBUG off,
behind a TLS proxy (X-Forwarded-Proto), a token made by `manage.py drf_create_token`, and S3 too
slow to answer: the contract's answers, in time."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from core.dynamo.connection import dynamodb_table
from jobs.services import job_update
from tests.e2e.test_commands import ROOT
from tests.e2e.test_faults import LARGE, SMALL, SilentServer
from tests.e2e.test_production_settings import PRODUCTION, run
from tests.servers import free_port

HOST = PRODUCTION["DJANGO_ALLOWED_HOSTS"]
# The worker timeout `make serve` gives gunicorn.
WORKER_TIMEOUT = re.search(r"--timeout \$\$\{GUNICORN_TIMEOUT:-(\d+)\}", (ROOT / "Makefile").read_text()).group(1)


@pytest.fixture
def served(aws_server, tmp_path, settings):
    """gunicorn on the project, DynamoDB on moto's server, S3 an endpoint that never answers."""
    jobs = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    jobs.put_item(Item={"job_id": "inline", "status": "running", "execution_steps": SMALL})
    jobs.put_item(Item={"job_id": "offloaded", "status": "running"})
    job_update(job_id="offloaded", execution_steps=LARGE)
    silent = SilentServer()
    env = {
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-operator-password",
        "AWS_ENDPOINT_URL_DYNAMODB": aws_server,
        "AWS_ENDPOINT_URL_S3": silent.url,
        "AWS_READ_TIMEOUT": "0.5",
        "AWS_MAX_ATTEMPTS": "2",
    }
    for command in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", "ops", "--email", "o@e.com"]):
        done = run("manage.py", *command, env=env)
        assert done.returncode == 0, done.stderr
    token = run("manage.py", "drf_create_token", "ops", env=env)
    key = re.fullmatch(r"Generated token (\w+) for user ops\n", token.stdout).group(1)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_ENDPOINT"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--timeout", WORKER_TIMEOUT, "--forwarded-allow-ips", "127.0.0.1"],
        cwd=ROOT,
        env={**environment, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers.update({"Host": HOST, "X-Forwarded-Proto": "https", "Authorization": f"Token {key}"})
    try:
        for _ in range(100):
            try:
                session.get(f"{base}/healthz", timeout=10)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, session
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        silent.close()


def test_gunicorn_serves_the_contract_while_s3_is_too_slow(served):
    base, session = served
    started = time.monotonic()
    detail = session.get(f"{base}/api/jobs/offloaded/", timeout=60)
    assert detail.status_code == 200 and detail.json()["execution_steps"] is None
    assert "Read timeout" in detail.json()["execution_steps_error"]
    write = session.patch(f"{base}/api/jobs/inline/", json={"execution_steps": LARGE}, timeout=60)
    assert write.status_code == 503 and write.json()["code"] == "unavailable"
    assert session.get(f"{base}/api/jobs/inline/", timeout=60).json()["execution_steps"] == SMALL
    assert time.monotonic() - started < 20  # bounded by the timeouts, well within the worker's
    health = session.get(f"{base}/healthz", timeout=60)
    assert health.status_code == 503 and health.json() == {"dynamodb": "ok", "s3": "unavailable"}  # anonymous
    missing = session.get(f"{base}/api/nothing/", timeout=60)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    anonymous = requests.get(f"{base}/api/jobs/", headers={"Host": HOST, "X-Forwarded-Proto": "https"}, timeout=60)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert anonymous.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = requests.get(f"{base}/api/jobs/", headers={"Host": HOST}, allow_redirects=False, timeout=60)
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{HOST}/api/jobs/"
