"""`make run`: the app on the local AWS emulator (moto's server) with demo data.

AWS_ENDPOINT_URL unset: start moto's server on loopback in its own process, stopped on exit.
AWS_ENDPOINT_URL=http://...: use that endpoint, no emulator. AWS_ENDPOINT_URL= (empty): real AWS.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_HOST = "127.0.0.1"


def start_emulator(port: str) -> subprocess.Popen:
    moto_server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(moto_server), "-H", EMULATOR_HOST, "-p", port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://{EMULATOR_HOST}:{port}"
    for _ in range(100):
        if process.poll() is not None:
            sys.exit(f"The AWS emulator exited at start (is port {port} taken? set EMULATOR_PORT).")
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1)  # noqa: S310 (loopback)
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"The AWS emulator did not answer on {url}.")


def configure_environment() -> tuple[subprocess.Popen | None, str]:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint is None:
        port = os.environ.get("EMULATOR_PORT", "4566")
        emulator = start_emulator(port)
        os.environ["AWS_ENDPOINT_URL"] = f"http://{EMULATOR_HOST}:{port}"
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(name, "testing")
        return emulator, f"local emulator (moto) at {os.environ['AWS_ENDPOINT_URL']}"
    if endpoint == "":
        del os.environ["AWS_ENDPOINT_URL"]
        return None, "AWS (credentials and region from the usual chain)"
    return None, f"AWS endpoint {endpoint}"


def start_worker() -> subprocess.Popen:
    """One background worker for scans (`manage.py run_worker`), stopped with the server; the first
    scan is queued for it, so the repairs page has findings to show."""
    from jobs.repairs.scans import scan_start

    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--verbosity", "0"], cwd=ROOT)
    scan_start(origin="command")
    return worker


def ensure_superuser() -> tuple[str, str, str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
    username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    token, _ = Token.objects.get_or_create(user=user)
    return username, password, token.key


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):  # run the `finally` below, stopping the emulator
        signal.signal(stop_signal, lambda *_: sys.exit(0))
    emulator, where = configure_environment()
    worker = None
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("bootstrap_aws")
        call_command("seed_demo")
        worker = start_worker()
        username, password, token = ensure_superuser()
        address = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
        print(f"\nData: {where}", flush=True)
        print(f"Admin: http://{address}/admin/  (user {username!r}, password {password!r})")
        print(f"API:   http://{address}/api/  (header 'Authorization: Token {token}'), docs at /api/docs/")
        print(f"Health: http://{address}/healthz\n", flush=True)
        call_command("runserver", address, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        if emulator is not None:
            emulator.terminate()
            emulator.wait(timeout=10)


if __name__ == "__main__":
    main()
