"""The production install: `pip install -r requirements.txt` in a new virtual environment brings no
emulator and no test tool, and the app starts from it as `make serve` starts it (deploy checks,
migrations, gunicorn with DJANGO_DEBUG off) on PostgreSQL's driver and Redis's client."""

import json
import os
import subprocess
import sys

import pytest
import requests

from tests.e2e.test_commands import ROOT
from tests.e2e.test_production_settings import PRODUCTION
from tests.servers import app_server

DEVELOPMENT_ONLY = {"moto", "flask", "flask-cors", "werkzeug", "pytest", "pytest-django", "hypothesis", "playwright"}
DEVELOPMENT_ONLY |= {"ruff", "schemathesis", "psutil", "responses"}


@pytest.fixture(scope="module")
def production_python(tmp_path_factory) -> str:
    venv = tmp_path_factory.mktemp("production") / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        + ["-r", ROOT / "requirements.txt"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def test_requirements_txt_installs_no_emulator_and_no_test_tool(production_python):
    listed = subprocess.run(
        [production_python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    )
    installed = {package["name"].lower().replace("_", "-") for package in json.loads(listed.stdout)}
    assert installed & DEVELOPMENT_ONLY == set()
    assert {"django", "psycopg", "redis", "gunicorn", "prometheus-client", "django-axes"} <= installed
    driver = [production_python, "-c", "import psycopg; print(psycopg.pq.__impl__)"]
    assert subprocess.run(driver, check=True, capture_output=True, text=True).stdout == "binary\n"


def test_the_app_starts_from_it_with_make_serve_settings(production_python, aws_server, redis_url, shared_database_url):
    env = {**PRODUCTION, "DATABASE_URL": shared_database_url, "CACHE_URL": redis_url, "AWS_ENDPOINT_URL": aws_server}

    outside = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_ENDPOINT"))}

    def manage(*args: str) -> None:
        done = subprocess.run([production_python, "manage.py", *args], cwd=ROOT, env=outside | env, capture_output=True)
        assert done.returncode == 0, done.stderr

    manage("check", "--deploy", "--fail-level", "WARNING")
    manage("migrate", "--noinput", "-v0")
    with app_server(env, python=production_python) as base:
        health = requests.get(f"{base}/healthz", headers={"Host": PRODUCTION["DJANGO_ALLOWED_HOSTS"]}, timeout=30)
        assert health.status_code == 200 and health.json() == {"dynamodb": "ok", "s3": "ok"}
