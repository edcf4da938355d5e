"""`python -m bench.workers`: background scans of a big Jobs table on `run_worker` processes.

The second part of `make bench` (`--jobs N` for the scale), in the benchmark's world with dynalite
as DynamoDB (moto's Scan re-reads the whole table for every page: hours at this size) and moto as
S3, a scratch SQLite database and DEBUG off. Writes docs/BENCHMARKS_SCANS.md:

- a Jobs table of `--jobs` items (1% offloaded, some stale keys of each kind), loaded by batch puts;
- one scan of every kind in `--segments` segments, on 1, 2 and 4 worker processes: time,
  items/s, Scan requests, bytes read, read units and findings;
- the same scan with a worker killed (SIGKILL) mid-segment and a new one started: whether the
  scan completes and reads exactly the requests and items of an uninterrupted scan;
- the repairs page and `GET /api/repairs/`: AWS requests per view at 1% of the table and at all of it;
- requests per filtered page when 1% of the jobs hold the status asked for, at the full table.

Times are the emulators' and this machine's; requests, items, bytes and read units carry over to DynamoDB.
"""

import argparse
import io
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .environment import ROOT, bench_world

WORKER_COUNTS = (1, 2, 4)
_WORKERS: dict[str, subprocess.Popen] = {}  # by worker id


@dataclass
class ScanFigures:
    label: str
    workers: int
    seconds: float
    items: int
    requests: int
    bytes_read: int
    read_units: float | None
    list_requests: int
    objects_listed: int
    findings: int
    resumed: int = 0

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


@dataclass
class ViewFigures:
    table_items: int
    admin_requests: int
    api_requests: int
    admin_ms: float
    api_ms: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="items in the Jobs table (default: 100000)")
    parser.add_argument("--segments", type=int, default=4, help="segments of each scan (default: 4)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the table's contents (default: 14)")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "docs" / "BENCHMARKS_SCANS.md", help="where to write the report"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    started = time.monotonic()
    with bench_world(dynalite=True):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        call_command("bootstrap_aws", stdout=io.StringIO())
        os.environ["REPAIR_SCAN_LEASE_SECONDS"] = "5"  # a killed worker's segment is reclaimed quickly
        figures = measure(options)
    text = render(options, *figures, seconds=time.monotonic() - started)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"Written to {options.output}")


def measure(options: argparse.Namespace):
    from django.test import Client

    from . import filter_pages
    from .subjects import bench_user

    token = bench_user()
    admin = Client()
    admin.force_login(token.user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    rng = random.Random(options.seed)
    first = max(options.jobs // 100, 1)
    print(f"[bench] loading {first:,} jobs…", flush=True)
    load_jobs(rng, 0, first)
    scan_with_workers(1, options.segments, "warm-up")
    views = [measure_views(admin, api, first)]
    print(f"[bench] loading {options.jobs - first:,} more jobs…", flush=True)
    load_jobs(rng, first, options.jobs)
    scans = []
    for workers in WORKER_COUNTS:
        print(f"[bench] scan on {workers} worker(s)…", flush=True)
        scans.append(scan_with_workers(workers, options.segments, f"{workers} worker{'s' * (workers > 1)}"))
    print("[bench] scan with a worker killed mid-segment…", flush=True)
    scans.append(scan_with_a_killed_worker(options.segments))
    views.append(measure_views(admin, api, options.jobs))
    print("[bench] filtered pages of a rare status…", flush=True)
    walks = filter_pages.measure(api=api, admin=admin)
    return scans, views, walks


# ---- the table ----


def load_jobs(rng: random.Random, start: int, stop: int) -> None:
    """Jobs of about 900 bytes with six inline steps; every 100th offloaded, one in 1,000 with both,
    a dangling key or an orphan object."""
    from django.conf import settings

    from core.dynamo.connection import dynamodb_table
    from core.storage import s3_storage
    from jobs.gateway import STEPS, STEPS_KEY
    from jobs.steps_store import steps_key

    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    s3 = s3_storage().s3_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    with table.batch_writer() as batch:
        for number in range(start, stop):
            job_id = f"job-{number:08}"
            steps = [
                {"step_order": n, "step_name": f"step {n}", "output": "x" * rng.randint(40, 160)} for n in range(6)
            ]
            item = {"job_id": job_id, "status": rng.choice(("completed", "running", "failed")), STEPS: steps}
            if number % 100 == 0:
                s3.put_object(Bucket=bucket, Key=steps_key(job_id), Body=b"[]")
                item = {**{k: v for k, v in item.items() if k != STEPS}, STEPS_KEY: steps_key(job_id)}
                if number % 1000 == 0:
                    item[STEPS] = steps  # both_present
            elif number % 1000 == 1:
                item = {**{k: v for k, v in item.items() if k != STEPS}, STEPS_KEY: steps_key(job_id)}  # dangling
            elif number % 1000 == 2:
                s3.put_object(Bucket=bucket, Key=steps_key(f"orphan-{number}"), Body=b"[]")
            batch.put_item(Item=item)


# ---- scans on worker processes ----


def start_workers(count: int) -> list[subprocess.Popen]:
    processes = []
    for _ in range(count):
        worker_id = f"bench-{len(_WORKERS) + 1}"  # the task engine records it on each task it claims
        command = [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.2", "-v", "0"]
        process = subprocess.Popen(  # noqa: S603 (this project's own command)
            [*command, "--worker-id", worker_id], cwd=ROOT, env=dict(os.environ)
        )
        _WORKERS[worker_id] = process
        processes.append(process)
    return processes


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def wait_done(scan_id: int, timeout: float = 3600):
    from jobs.models import Scan

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan = Scan.objects.get(pk=scan_id)
        if scan.status in (Scan.DONE, Scan.FAILED):
            return scan
        time.sleep(0.2)
    raise TimeoutError(f"scan {scan_id} did not finish")


def figures_of(scan, label: str, workers: int) -> ScanFigures:
    from jobs.repairs.scans import scan_progress

    if scan.status != scan.DONE:
        raise RuntimeError(f"scan {scan.pk} {scan.status}: {scan.error}")
    return ScanFigures(
        label=label,
        workers=workers,
        seconds=scan.seconds or 0.0,
        items=scan.items_scanned,
        requests=scan.requests,
        bytes_read=scan.bytes_read,
        read_units=scan.capacity_units,
        list_requests=scan.list_requests,
        objects_listed=scan.objects_listed,
        findings=scan.findings_count or 0,
        resumed=scan_progress(scan)["resumed"],
    )


def scan_with_workers(workers: int, segments: int, label: str) -> ScanFigures:
    from jobs.repairs.scans import scan_start

    processes = start_workers(workers)
    try:
        scan = scan_start(origin="command", segments=segments)
        return figures_of(wait_done(scan.pk), label, workers)
    finally:
        stop_workers(processes)


def scan_with_a_killed_worker(segments: int) -> ScanFigures:
    """Two workers; once a segment has recorded a page and has more to read, its worker is killed
    and a new one started."""
    from jobs.models import Scan, ScanSegment
    from jobs.repairs.scans import scan_start

    processes = start_workers(2)
    try:
        scan = scan_start(origin="command", segments=segments)
        mid_segment = ScanSegment.objects.filter(scan=scan, status=ScanSegment.RUNNING, requests__gte=1).exclude(
            last_key=""
        )
        while not (victim := mid_segment.first()):
            if (
                Scan.objects.get(pk=scan.pk).status != Scan.RUNNING
                and scan.segment_set.exclude(status="done").count() == 0
            ):
                raise RuntimeError("The table is too small: every segment ended before a worker could be killed.")
            time.sleep(0.01)
        owner = _worker_running(victim)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        processes += start_workers(1)
        return figures_of(wait_done(scan.pk), "2 workers, one killed (SIGKILL) mid-segment and replaced", 2)
    finally:
        stop_workers(processes)


def _worker_running(segment) -> subprocess.Popen:
    """The worker process running the segment's task (django-tasks-db records each worker's id)."""
    from django_tasks_db.models import DBTaskResult

    for result in DBTaskResult.objects.filter(status="RUNNING"):
        if result.task_result.args[:1] == [segment.pk]:
            return _WORKERS[result.worker_ids[-1]]
    raise RuntimeError(f"No worker runs segment {segment.pk}.")


# ---- the page and the API ----


def measure_views(admin, api, table_items: int) -> ViewFigures:
    from core.dynamo.connection import watch_calls

    figures = {}
    for name, client, url in (("admin", admin, "/admin/jobs/stalekeyrepair/"), ("api", api, "/api/repairs/")):
        client.get(url)  # warm
        with watch_calls() as calls:
            start = time.perf_counter()
            response = client.get(url)
            figures[f"{name}_ms"] = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.status_code
        figures[f"{name}_requests"] = len(calls)
    return ViewFigures(table_items=table_items, **figures)


# ---- the report ----


def render(options, scans: list[ScanFigures], views: list[ViewFigures], walks, *, seconds: float) -> str:
    from .dynalite import dynalite_version
    from .report import filter_pages_section, machine, table

    uninterrupted = next(scan for scan in scans if scan.workers == 2 and not scan.resumed)
    killed = scans[-1]
    lines = [
        "# Background scans of a big Jobs table",
        "",
        f"`python -m bench.workers --jobs {options.jobs} --segments {options.segments}` "
        f"({seconds / 60:.0f} min). Machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()) + ".",
        f"DynamoDB is dynalite {dynalite_version()}'s and S3 moto's, in memory on this machine: the times are "
        "theirs; requests, items, "
        "bytes and read units (as dynalite reports them, by DynamoDB's rule) carry over to DynamoDB.",
        "",
        f"## One scan of every kind, {options.segments} segments, on worker processes",
        "",
        table(
            [
                "run",
                "seconds",
                "items",
                "items/s",
                "Scan requests",
                "bytes read",
                "read units",
                "List requests",
                "objects listed",
                "findings",
                "segments resumed",
            ],
            [
                [
                    scan.label,
                    f"{scan.seconds:.1f}",
                    f"{scan.items:,}",
                    f"{scan.items_per_second:,.0f}",
                    f"{scan.requests:,}",
                    f"{scan.bytes_read / 1e6:,.1f} MB",
                    "not reported" if scan.read_units is None else f"{scan.read_units:,.0f}",
                    f"{scan.list_requests:,}",
                    f"{scan.objects_listed:,}",
                    f"{scan.findings:,}",
                    scan.resumed,
                ]
                for scan in scans
            ],
        ),
        "",
        f"Killed worker: the scan completed ({killed.resumed} segment resumed by another worker) with "
        f"{killed.requests:,} Scan requests and {killed.items:,} items, against {uninterrupted.requests:,} and "
        f"{uninterrupted.items:,} uninterrupted: "
        + (
            "resumed from the recorded key, no page read twice."
            if (killed.requests, killed.items) == (uninterrupted.requests, uninterrupted.items)
            else "NOT the same as an uninterrupted scan."
        ),
        "",
        "## The repairs page and `GET /api/repairs/` against the table's size",
        "",
        table(
            ["table items", "admin page: AWS requests", "admin page ms", "API: AWS requests", "API ms"],
            [
                [
                    f"{view.table_items:,}",
                    view.admin_requests,
                    f"{view.admin_ms:.0f}",
                    view.api_requests,
                    f"{view.api_ms:.0f}",
                ]
                for view in views
            ],
        ),
        "",
        filter_pages_section(walks, heading="## Filtered pages of a rare status, at the full table"),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
