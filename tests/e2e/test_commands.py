"""Commands as operators run them: a real process, against a moto server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = ["Projects", "Jobs", "Artifacts", "Stale key repairs"]


def manage(*args, endpoint: str, **env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_MAX_ATTEMPTS": "1",
        "DYNAMODB_PROJECTS_TABLE": settings.DYNAMODB_PROJECTS_TABLE,
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_bootstrap_then_check_on_a_moto_server(moto_server):
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    first = manage("bootstrap_aws", endpoint=moto_server)
    assert first.returncode == 0, first.stderr
    assert "created table AgentProjects" in first.stdout
    again = manage("bootstrap_aws", "--check", endpoint=moto_server)
    assert again.returncode == 0 and "created" not in again.stdout


def test_missing_table_exits_non_zero_with_the_fix_and_no_traceback(moto_server):
    result = manage("bootstrap_aws", "--check", endpoint=moto_server, DYNAMODB_PROJECTS_TABLE="NoSuchTable")
    assert result.returncode == 1
    assert "missing  table NoSuchTable" in result.stdout
    assert "Run `python manage.py bootstrap_aws`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9"])
def test_unreachable_endpoint_exits_non_zero_without_traceback(endpoint):
    result = manage("bootstrap_aws", "--check", endpoint=endpoint)
    assert result.returncode == 1
    assert "Cannot reach DynamoDB" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_credentials_are_named(moto_server):
    result = manage(
        "bootstrap_aws",
        "--check",
        endpoint=moto_server,
        AWS_ACCESS_KEY_ID="",
        AWS_SECRET_ACCESS_KEY="",
        AWS_SESSION_TOKEN="",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert result.returncode == 1
    assert "No usable AWS credentials" in result.stderr
    assert "Traceback" not in result.stderr
