"""`make run` as a developer runs it (its recipe: `python scripts/run_local.py`), a real process
on free ports: it writes demo data only into the emulator it started, refuses ports that are taken
before starting anything, and leaves nothing running however it ends."""

import contextlib
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests

from tests.e2e.test_commands import ROOT
from tests.servers import free_port, listening

DEMO_PROJECT = "proj_b0520328c1e1"  # one of projects/demo.py's fixed ids


class MakeRun:
    """scripts/run_local.py in a session of its own, its output collected line by line."""

    def __init__(self, tmp_path, web_port: int, **env):
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_ENDPOINT"))}
        environment.update(PORT=str(web_port), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
        self.web = f"http://127.0.0.1:{web_port}"
        self.process = subprocess.Popen(
            [sys.executable, "scripts/run_local.py"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never printed:\n{self.text()}")

    def finish(self, timeout: float = 90) -> int:
        returncode = self.process.wait(timeout=timeout)
        with contextlib.suppress(queue.Empty):  # a process it left running may hold the pipe open
            while (line := self._lines.get(timeout=5)) is not None:
                self.output.append(line)
        return returncode

    def text(self) -> str:
        return "".join(self.output)

    def group_is_gone(self, timeout: float = 15) -> bool:
        """No process of its session is left (the emulator included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def make_run(tmp_path):
    runs = []

    def start(web_port: int, **env) -> MakeRun:
        runs.append(MakeRun(tmp_path, web_port, **env))
        return runs[-1]

    yield start
    for run in runs:
        run.kill()


@pytest.fixture
def other_emulator():
    """Someone else's emulator, empty, on a free port: moto's server in a process of its own (moto
    servers inside the test process would share its state)."""
    port = free_port()
    moto_server = Path(sys.executable).parent / "moto_server"
    with listening([moto_server, "-H", "127.0.0.1", "-p", str(port)], port, stderr=subprocess.DEVNULL):
        yield f"http://127.0.0.1:{port}"


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def holdings(endpoint: str) -> tuple[list[str], list[str]]:
    """The tables and buckets at an endpoint."""
    options = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    tables = boto3.client("dynamodb", **options).list_tables()["TableNames"]
    buckets = [bucket["Name"] for bucket in boto3.client("s3", **options).list_buckets()["Buckets"]]
    return tables, buckets


def project_count(endpoint: str) -> int:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    return client.scan(TableName="AgentProjects", Select="COUNT")["Count"]


def test_a_taken_web_port_is_refused_before_anything_starts(make_run):
    emulator_port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        web_port = holder.getsockname()[1]
        run = make_run(web_port, EMULATOR_PORT=str(emulator_port))
        assert run.finish() != 0
    assert f"Port {web_port} is taken" in run.text()
    assert run.group_is_gone()
    assert not answers(emulator_port)  # no emulator was started, none is left behind


def test_an_emulator_already_on_its_port_is_refused_and_left_untouched(make_run, other_emulator):
    other_port = int(other_emulator.rsplit(":", 1)[1])
    run = make_run(free_port(), EMULATOR_PORT=str(other_port))
    assert run.finish() != 0
    assert f"could not listen on 127.0.0.1:{other_port}" in run.text()
    assert f"AWS_ENDPOINT_URL=http://127.0.0.1:{other_port}" in run.text()  # how to use it on purpose
    assert holdings(other_emulator) == ([], [])  # nothing created, nothing seeded
    assert run.group_is_gone()


def existing_admin(tmp_path, endpoint: str) -> str:
    """The database of an earlier run, with an admin whose password someone chose; its hash."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_ENDPOINT"))},
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AWS_ENDPOINT_URL": endpoint,
        "DJANGO_SUPERUSER_PASSWORD": "chosen-by-the-team",
    }
    for command in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@e.com"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    return password_hash(tmp_path)


def password_hash(tmp_path) -> str:
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        return db.execute("SELECT password FROM auth_user WHERE username = 'admin'").fetchone()[0]


def test_a_given_endpoint_is_only_checked_and_read_and_the_admin_keeps_its_password(make_run, aws_server, tmp_path):
    before = existing_admin(tmp_path, aws_server)
    tables, buckets = holdings(aws_server)
    run = make_run(free_port(), AWS_ENDPOINT_URL=aws_server)
    run.wait_for("Quit the server")
    assert f"Data: AWS_ENDPOINT_URL={aws_server}" in run.text()
    assert "an existing user: its password is unchanged" in run.text()
    assert requests.get(f"{run.web}/healthz", timeout=10).json() == {"dynamodb": "ok", "s3": "ok"}
    assert holdings(aws_server) == (tables, buckets)
    assert project_count(aws_server) == 0  # no demo data
    assert password_hash(tmp_path) == before
    run.process.send_signal(signal.SIGTERM)
    assert run.finish() == 0 and run.group_is_gone()


def test_a_given_endpoint_without_the_tables_is_refused_and_nothing_is_created(make_run, other_emulator):
    run = make_run(free_port(), AWS_ENDPOINT_URL=other_emulator)
    assert run.finish() != 0
    assert "Missing: table AgentProjects" in run.text() and "Traceback" not in run.text()
    assert holdings(other_emulator) == ([], [])
    assert run.group_is_gone()


@pytest.mark.parametrize("ending", ["SIGTERM to make run", "Ctrl-C", "SIGKILL to make run"])
def test_its_own_emulator_gets_the_demo_data_and_never_outlives_it(make_run, ending):
    emulator_port = free_port()
    run = make_run(free_port(), EMULATOR_PORT=str(emulator_port))
    token = run.wait_for("API:").split("Token ", 1)[1].split("'", 1)[0]
    run.wait_for("Quit the server")
    emulator = f"http://127.0.0.1:{emulator_port}"
    assert f"Data: local emulator (moto) at {emulator}, demo data written" in run.text()
    assert project_count(emulator) > 0
    project = requests.get(f"{run.web}/api/projects/{DEMO_PROJECT}/", headers={"Authorization": f"Token {token}"})
    assert project.status_code == 200 and project.json()["project_id"] == DEMO_PROJECT
    if ending == "Ctrl-C":
        os.killpg(run.process.pid, signal.SIGINT)  # the terminal signals the whole foreground group
    elif ending == "SIGTERM to make run":
        run.process.send_signal(signal.SIGTERM)
    else:  # no cleanup code runs: the emulator still stops, as its input pipe closes
        run.process.send_signal(signal.SIGKILL)
    run.finish()
    if ending != "SIGKILL to make run":  # the scans worker is stopped by make run's cleanup
        assert run.group_is_gone()
    deadline = time.monotonic() + 15
    while answers(emulator_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not answers(emulator_port)
