"""Settings read from the environment: a bad value stops the process with one line naming the
variable and the form it expects (no traceback); development mode signs with a random key kept in
a local, git-ignored file."""

import stat
import subprocess

import pytest

from config.development import development_secret_key
from tests.e2e.test_commands import ROOT
from tests.e2e.test_production_settings import PRODUCTION, run

PRINT = "from django.conf import settings; print({})"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("AWS_MAX_ATTEMPTS", "x", "AWS_MAX_ATTEMPTS='x': expected a whole number >= 1, e.g. AWS_MAX_ATTEMPTS=3"),
        ("AWS_MAX_ATTEMPTS", "0", "AWS_MAX_ATTEMPTS='0': expected a whole number >= 1"),
        ("AWS_READ_TIMEOUT", "-1", "AWS_READ_TIMEOUT='-1': expected a number >= 0, e.g. AWS_READ_TIMEOUT=10"),
        ("AWS_READ_TIMEOUT", "inf", "AWS_READ_TIMEOUT='inf': expected a number >= 0"),
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe': expected 1 or 0"),
        ("NUM_PROXIES", "one", "NUM_PROXIES='one': expected a whole number >= 0, e.g. NUM_PROXIES=1"),
        ("API_THROTTLE_USER", "lots", "API_THROTTLE_USER='lots': expected requests/period"),
        (
            "CACHE_URL",
            "memcached://m:11211",
            "CACHE_URL='memcached://m:11211': expected a URL locmem://... or redis://",
        ),
        ("DATABASE_URL", "mysql://db/app", "DATABASE_URL='mysql://db/app': expected a URL postgres://..."),
        ("AWS_ENDPOINT_URL", "localhost:4566", "AWS_ENDPOINT_URL='localhost:4566': expected a URL http://..."),
    ],
)
def test_a_bad_value_names_the_variable_and_the_form_in_one_line(name, value, expected):
    result = run("-c", "import config.settings", env={**PRODUCTION, name: value})
    assert result.returncode == 1
    assert result.stderr.startswith(f"Configuration error: {expected}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_command_prints_the_line_and_fails():
    result = run("manage.py", "check", env={**PRODUCTION, "AWS_MAX_ATTEMPTS": "x"})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "Configuration error: AWS_MAX_ATTEMPTS='x': expected a whole number >= 1, e.g. AWS_MAX_ATTEMPTS=3\n"
    )


def test_a_redis_cache_url_selects_django_s_redis_backend():
    result = run(
        "-c",
        "import django; django.setup(); " + PRINT.format("settings.CACHES['default']"),
        env={**PRODUCTION, "CACHE_URL": "redis://cache.internal:6379/1"},
    )
    assert result.returncode == 0, result.stderr
    assert "'BACKEND': 'django.core.cache.backends.redis.RedisCache'" in result.stdout
    assert "'LOCATION': 'redis://cache.internal:6379/1'" in result.stdout


def test_the_development_key_is_random_kept_and_private(tmp_path):
    first = development_secret_key(tmp_path / "key")
    assert development_secret_key(tmp_path / "key") == first
    assert development_secret_key(tmp_path / "other") != first
    assert len(first) == 50
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["key", "other"]  # no draft left


def test_development_mode_signs_with_the_checkout_s_key():
    development = {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1"}
    result = run("-c", "import django; django.setup(); " + PRINT.format("settings.SECRET_KEY"), env=development)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key == (ROOT / ".development-secret-key").read_text().strip()
    assert "insecure" not in key
    ignored = subprocess.run(["git", "check-ignore", "-q", ".development-secret-key"], cwd=ROOT)
    assert ignored.returncode == 0
