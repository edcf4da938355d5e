"""Production settings as `make serve` runs them: DJANGO_DEBUG off, secrets from the environment."""

import os
import subprocess
import sys

from tests.e2e.test_commands import ROOT

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "app.example.com",
}


def run(*args, env=None, **kwargs):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env if env is not None else PRODUCTION)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, **kwargs
    )


def test_check_deploy_is_clean():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run("manage.py", "check", env={**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_static_files_and_offline_api_docs_are_served(tmp_path):
    script = f"""
import django, os, re
from django.conf import settings
settings.STATIC_ROOT = {str(tmp_path)!r}
django.setup()
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="app.example.com")
css = client.get("/static/admin/css/base.css", secure=True)
print("css", css.status_code)
docs = client.get("/api/docs/", secure=True)
html = docs.content.decode()
print("docs", docs.status_code)
print("external", sorted(set(re.findall(r'(?:src|href)="(https?://[^"]+)"', html))))
script = re.search(r'src="(/static/[^"]+swagger[^"]*)"', html).group(1)
print("asset", client.get(script, secure=True).status_code)
print("plain-http", client.get("/api/docs/").status_code)
"""
    result = run("-c", script)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["css"] == "200"
    assert lines["docs"] == "200"
    assert lines["external"] == "[]"
    assert lines["asset"] == "200"
    assert lines["plain-http"] == "301"  # redirected to HTTPS
