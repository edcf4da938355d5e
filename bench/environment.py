"""The benchmark's own world: a moto server on a free loopback port (and, for big tables, dynalite
as the DynamoDB endpoint), a scratch SQLite database, and the environment (DEBUG off) that this
process and its child processes read their settings from."""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.run_local import EMULATOR_HOST, start_emulator

from .dynalite import start_dynalite

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((EMULATOR_HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def bench_world(*, dynalite: bool = False) -> Iterator[str]:
    """Start the emulator and set the environment; yield the emulator's URL; stop and clean up.
    With `dynalite`, DynamoDB is dynalite's and S3 is moto's."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    emulators = []
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    if dynalite:
        process, dynamodb_endpoint = start_dynalite(EMULATOR_HOST, free_port())
        emulators.append(process)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    emulator, endpoint = start_emulator(free_port())
    emulators.append(emulator)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            # The in-process test client speaks plain HTTP; a TLS proxy is not part of what is measured.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            # The benchmark sends thousands of requests a minute as one user: still counted on each
            # request, never refused.
            "API_THROTTLE_USER": "10000000/minute",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
    )
    try:
        yield endpoint
    finally:
        for process in emulators:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
