"""dynalite (npm, pinned in package-lock.json): the DynamoDB emulator of the big-table benchmark.

moto evaluates every item of a table for every Scan page, so a scan of N items in P pages costs it
N x P item reads; dynalite keeps items in a sorted store and reads a page from its start key (and a
segment from its own key range), as DynamoDB does. S3 stays on moto."""

import json
import shutil
import subprocess
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "node_modules" / "dynalite" / "package.json"
SERVER = Path(__file__).with_suffix(".js")


def start_dynalite(host: str, port: int) -> tuple[subprocess.Popen, str]:
    """dynalite in memory on a loopback port: its process and endpoint, once it listens. It lives
    while the caller holds the process's stdin."""
    node = shutil.which("node")
    if node is None or not PACKAGE.exists():
        raise SystemExit("dynalite is not installed: `make bench` installs it (`npm ci`; it needs Node.js).")
    process = subprocess.Popen(  # noqa: S603 (our script, on a pinned package)
        [node, str(SERVER), host, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    endpoint = process.stdout.readline().strip()
    if not endpoint:
        process.wait()
        raise SystemExit(f"dynalite could not listen on {host}:{port}.")
    return process, endpoint


def dynalite_version() -> str:
    return json.loads(PACKAGE.read_text(encoding="utf-8"))["version"]
