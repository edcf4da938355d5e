"""Background scans with real processes: the API served by gunicorn, `manage.py run_worker`
workers, a moto server and a shared SQLite file. A worker killed with SIGKILL mid-segment leaves
the segment to another worker, which resumes it from the recorded key: proven by counting the
requests and items recorded against an uninterrupted read of the same table. (The processes
share their own SQLite file, not the test database.)"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings

from core.dynamo.connection import dynamodb_table
from jobs.gateway import STEPS, STEPS_KEY
from tests.e2e.test_commands import ROOT, manage
from tests.e2e.test_production_server import free_port
from tests.integration.test_repairs_scan import make_steps

ITEMS = 120  # about 100 KB each: a dozen 1 MB Scan pages


@pytest.fixture
def site(aws_server, tmp_path):
    """gunicorn on the project with a token, the environment its workers share, and cleanup."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-operator-password",
        "REPAIR_SCAN_LEASE_SECONDS": "2",
        "REPAIR_SCAN_SEGMENTS": "1",
    }
    for command in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", "ops", "--email", "o@e.com"]):
        done = manage(*command, endpoint=aws_server, **env)
        assert done.returncode == 0, done.stderr
    token = manage("drf_create_token", "ops", endpoint=aws_server, **env).stdout
    key = re.fullmatch(r"Generated token (\w+) for user ops\n", token).group(1)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "AWS_ENDPOINT_URL": aws_server,
        "DYNAMODB_PROJECTS_TABLE": settings.DYNAMODB_PROJECTS_TABLE,
        **env,
    }
    port = free_port()
    processes = []

    def start(*command: str) -> subprocess.Popen:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(process)
        return process

    start(sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {key}"
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            session.get(f"{base}/healthz", timeout=10)
            break
        except requests.ConnectionError:
            time.sleep(0.1)

    def worker() -> subprocess.Popen:
        return start(sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.2")

    try:
        yield base, session, worker, tmp_path / "db.sqlite3"
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def plant(count: int = ITEMS) -> None:
    with dynamodb_table(settings.DYNAMODB_JOBS_TABLE).batch_writer() as batch:
        for number in range(count):
            batch.put_item(Item={"job_id": f"job-{number:04}", STEPS: make_steps(12, output="z" * 8000)})
        batch.put_item(Item={"job_id": "dangling", STEPS_KEY: "jobs/dangling/execution_steps.json"})


def uninterrupted_pages() -> int:
    """Scan requests for the whole table, read as a scan reads it (1 MB pages)."""
    table, request, pages = dynamodb_table(settings.DYNAMODB_JOBS_TABLE), {}, 0
    while True:
        response = table.scan(**request)
        pages += 1
        if "LastEvaluatedKey" not in response:
            return pages
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def segment_row(database) -> tuple | None:
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute("SELECT status, requests, items_scanned, runs FROM jobs_scansegment").fetchone()


def wait_for(condition, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_scan_started_from_the_api_completes_on_a_worker(site):
    base, session, worker, _ = site
    plant(count=3)
    worker()
    started = session.post(f"{base}/api/repairs/scans/", json={}, timeout=30)
    assert started.status_code == 202
    location = base + started.headers["Location"]
    done = wait_for(lambda: (body := session.get(location, timeout=30).json())["status"] == "done" and body)
    assert done["items_scanned"] == 4 and done["findings_count"] == 1
    findings = session.get(f"{base}/api/repairs/", timeout=30).json()
    assert findings["scan"]["id"] == done["id"]
    assert [(f["kind"], f["job_id"]) for f in findings["findings"]] == [("dangling_key", "dangling")]


def test_a_worker_killed_mid_segment_is_resumed_by_another_from_the_recorded_key(site):
    base, session, worker, database = site
    plant()
    pages = uninterrupted_pages()
    assert pages >= 6
    first = worker()
    started = session.post(f"{base}/api/repairs/scans/", json={}, timeout=30)
    location = base + started.headers["Location"]
    # Kill the worker once it has recorded two pages of the segment, before the last.
    status, recorded, _, _ = wait_for(lambda: (row := segment_row(database)) and row[1] >= 2 and row)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    status, recorded, _, _ = segment_row(database)
    assert status == "running" and 2 <= recorded < pages  # mid-segment, with a recorded key

    worker()  # another worker reclaims the expired lease and resumes
    done = wait_for(lambda: (body := session.get(location, timeout=30).json())["status"] == "done" and body)
    assert done["resumed"] == 1 and segment_row(database)[3] == 2
    # Resumed, not restarted: exactly the requests and items of one uninterrupted read.
    assert done["requests"] == pages and done["items_scanned"] == ITEMS + 1
    findings = session.get(f"{base}/api/repairs/", timeout=30).json()["findings"]
    assert [(f["kind"], f["job_id"]) for f in findings] == [("dangling_key", "dangling")]
    # The task engine's row of the killed worker's task says it failed; the resumed task succeeded.
    with sqlite3.connect(database, timeout=10) as connection:
        rows = connection.execute(
            "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
        ).fetchall()
    assert rows == [("FAILED", "jobs.repairs.scans.WorkerLost"), ("SUCCESSFUL", "")]
