"""`make run`: the app on the local AWS emulator (moto's server) with demo data.

No endpoint given (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_S3 unset):
start the emulator on 127.0.0.1:EMULATOR_PORT (default 4566) in a process of its own, create the
tables and the bucket, write the demo data and set the admin's password. Any endpoint given
(`AWS_ENDPOINT_URL=`, set and empty, means real AWS): that data is not ours, so nothing is created
or seeded there (the tables are only checked) and an existing admin keeps its password.

The web port (PORT, default 8000) is checked before anything starts, and whatever was started is
stopped on every way out (Ctrl-C, SIGTERM, SIGHUP, an error; the emulator also stops by itself
when this process dies, even by SIGKILL). A background worker runs the scans.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_HOST = WEB_HOST = "127.0.0.1"
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3")


@dataclass(frozen=True)
class Aws:
    where: str
    own_emulator: bool  # started by this script: the only AWS we may write demo data into


def port_setting(name: str, default: str, *, lowest: int) -> int:
    value = os.environ.get(name, default)
    if not value.isdigit() or not lowest <= int(value) <= 65535:
        sys.exit(f"{name}={value!r} is not a port number ({lowest}-65535).")
    return int(value)


def refuse_taken_port(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver binds
        try:
            probe.bind((WEB_HOST, port))
        except OSError as err:
            sys.exit(f"Port {port} is taken ({err.strerror}): stop what holds it, or choose another with PORT=...")


def start_emulator(port: int) -> tuple[subprocess.Popen, str]:
    """The emulator's process and endpoint. It lives while the caller holds the process's stdin."""
    command = [sys.executable, str(ROOT / "scripts" / "local_emulator.py"), EMULATOR_HOST, str(port)]
    emulator = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    endpoint = emulator.stdout.readline().strip()  # printed only once its own socket listens
    if not endpoint:
        emulator.wait()
        sys.exit(
            f"The AWS emulator could not listen on {EMULATOR_HOST}:{port}: another emulator or program holds"
            " that port. Stop it, choose a free port with EMULATOR_PORT=... (0: any), or use that server"
            f" on purpose with AWS_ENDPOINT_URL=http://{EMULATOR_HOST}:{port} (nothing is then created or"
            " seeded in it)."
        )
    return emulator, endpoint


def choose_aws(started: list[subprocess.Popen]) -> Aws:
    given = {name: os.environ[name] for name in ENDPOINT_VARIABLES if name in os.environ}
    if given:
        for name, value in given.items():
            if not value:  # set and empty: boto3's default endpoint, real AWS
                del os.environ[name]
        named = [f"{name}={value}" for name, value in given.items() if value]
        return Aws(", ".join(named) or "AWS (credentials and region from the usual chain)", own_emulator=False)
    emulator, endpoint = start_emulator(port_setting("EMULATOR_PORT", "4566", lowest=0))
    started.append(emulator)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    # Real credentials are never sent to the emulator, and no configured profile is consulted.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    return Aws(f"local emulator (moto) at {endpoint}, demo data written", own_emulator=True)


def prepare_aws(aws: Aws) -> None:
    from django.core.management import call_command

    if aws.own_emulator:
        call_command("bootstrap_aws")
        call_command("seed_demo")
    else:
        call_command("bootstrap_aws", "--check")


def start_worker() -> subprocess.Popen:
    """One background worker for scans (`manage.py run_worker`), stopped with the server."""
    return subprocess.Popen([sys.executable, "manage.py", "run_worker", "--verbosity", "0"], cwd=ROOT)


def ensure_superuser(*, reset_password: bool) -> tuple[str, str, str]:
    """The admin user and its token; its password is (re)set only when `reset_password` or when
    the user is new. Returns (username, what to print about the password, token)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
    user, created = get_user_model().objects.get_or_create(username=username)
    if created or reset_password:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        told = f"password {password!r}"
    else:
        told = "an existing user: its password is unchanged"
    token, _ = Token.objects.get_or_create(user=user)
    return username, told, token.key


def serve(aws: Aws, port: int, started: list[subprocess.Popen]) -> None:
    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError

    django.setup()
    try:
        call_command("migrate", interactive=False, verbosity=0)
        prepare_aws(aws)
    except CommandError as err:
        sys.exit(f"{err}\n(AWS: {aws.where})")
    started.append(start_worker())
    if aws.own_emulator:  # the first scan, so the repairs page has findings to show (never on others' tables)
        from jobs.repairs.scans import scan_start

        scan_start(origin="command")
    username, password, token = ensure_superuser(reset_password=aws.own_emulator)
    address = f"{WEB_HOST}:{port}"
    print(f"\nData: {aws.where}", flush=True)
    print(f"Admin: http://{address}/admin/  (user {username!r}, {password})")
    print(f"API:   http://{address}/api/  (header 'Authorization: Token {token}'), docs at /api/docs/")
    print(f"Health: http://{address}/healthz\n", flush=True)
    call_command("runserver", address, use_reloader=False)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):  # leave through the `finally` below
        signal.signal(stop_signal, lambda *_: sys.exit(0))
    port = port_setting("PORT", "8000", lowest=1)
    refuse_taken_port(port)  # runserver would exit with os._exit, past any cleanup
    started: list[subprocess.Popen] = []  # every process this script starts, stopped on the way out
    try:
        serve(choose_aws(started), port, started)
    except KeyboardInterrupt:
        pass
    finally:
        stop(started)


if __name__ == "__main__":
    main()
