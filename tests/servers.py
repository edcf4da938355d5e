"""Throwaway servers for the tests, from Debian's packages (`make test` installs them): a
PostgreSQL cluster and a Redis server, each on a free loopback port, in a scratch directory that
is removed with it. Neither keeps anything on disk worth a sync."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, what: str, process: subprocess.Popen | None = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {seconds} s")


def _postgres_bin() -> Path:
    found = sorted(Path("/").glob(POSTGRES_BINARIES.lstrip("/")), key=lambda path: int(path.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package.")
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster; yields the URL of its `postgres` database (user postgres, no password)."""
    binaries = _postgres_bin()
    scratch = Path(tempfile.mkdtemp(prefix="test-postgres-"))
    # initdb refuses to run as root: as root, the cluster belongs to the postgres user.
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_owner:
        shutil.chown(scratch, "postgres")
    data, port = scratch / "data", free_port()
    try:
        subprocess.run(
            [*as_owner, binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {scratch} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            [*as_owner, binaries / "pg_ctl", "-D", data, "-l", scratch / "log", "-o", options, "-w", "start"],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgres://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*as_owner, binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis server keeping nothing on disk; yields its URL (database 0)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: `make test` installs Debian's redis-server package.")
    scratch, port = tempfile.mkdtemp(prefix="test-redis-"), free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", scratch]
    try:
        with listening(command, port):
            yield f"redis://127.0.0.1:{port}/0"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def app_server(env: dict[str, str], *, workers: int = 1, python: str = sys.executable) -> Iterator[str]:
    """The project under gunicorn, as `make serve` runs it, in the environment `env` (on top of
    this process's, less its DJANGO_ and AWS endpoint variables), with the gunicorn of `python`'s
    environment; yields its base URL."""
    root = Path(__file__).resolve().parents[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_ENDPOINT"))}
    port = free_port()
    command = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--forwarded-allow-ips", "127.0.0.1"]
    with listening(command, port, cwd=root, env={**environment, **env}, stderr=subprocess.DEVNULL):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def listening(command: list, port: int, **options) -> Iterator[None]:
    """Runs `command` until the block ends, from the moment it listens on 127.0.0.1:`port`."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, **options)
    try:
        wait_for_port(port, Path(command[0]).name, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
