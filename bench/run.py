"""`python -m bench`: load the corpus into a fresh moto server, measure every section in one run,
print the report and write it (docs/BENCHMARKS.md by default)."""

import argparse
import io
import os
import time
from pathlib import Path

from .environment import ROOT, bench_world


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE") or 1),
        help="corpus size as a share of 2,000 projects, 10,000 jobs and 2,000 artifacts (default: $BENCH_SCALE or 1)",
    )
    parser.add_argument("--seed", type=int, help="seed of the corpus and of the sampling order (default: a fixed one)")
    parser.add_argument("--runs", type=int, default=5, help="runs of the overhead measurement (default: 5)")
    parser.add_argument("--samples", type=int, default=200, help="calls per probe and run (default: 200)")
    parser.add_argument("--scan-runs", type=int, default=3, help="runs of each key scan (default: 3)")
    parser.add_argument("--memory-runs", type=int, default=3, help="runs of each memory measurement (default: 3)")
    parser.add_argument("--big-steps-mb", type=float, default=5, help="steps of the job read for memory (default: 5)")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md", help="where to write the report"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    started = time.monotonic()
    with bench_world():
        import django

        django.setup()
        results = collect(options)
    from .report import render

    results.seconds = time.monotonic() - started
    text = render(results)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"Written to {options.output}")


def collect(options: argparse.Namespace):
    """Every section, in an order where each one's changes cannot touch a later one's subject."""
    from django.core.management import call_command
    from django.test import Client

    from jobs.repairs.kinds import DEFAULT_KINDS, KINDS

    from . import filter_pages, memory, offload, overhead, round_trips, scan
    from .corpus import CorpusSize, load
    from .report import Results, machine
    from .subjects import bench_user, big_job, overhead_probes

    results = Results(machine=machine(), options=vars(options))
    call_command("migrate", verbosity=0, interactive=False)
    call_command("bootstrap_aws", stdout=io.StringIO())
    token = bench_user()
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    admin = Client()
    admin.force_login(token.user)

    steps = Steps()
    steps.next("loading the corpus")
    corpus = load(CorpusSize.scaled(options.scale, seed=options.seed))
    results.corpus = corpus

    steps.next("offload sizing")
    results.offload = offload.compare(corpus)

    # Reads first: the scans and the overhead probes see the corpus as loaded.
    steps.next("repair scan")
    results.table = scan.read_table()
    results.key_scans = scan.measure(results.table, kinds=DEFAULT_KINDS, repeats=options.scan_runs)
    results.full_scans = scan.measure(results.table, kinds=KINDS, repeats=1, segment_counts=(1, 4))

    steps.next("overhead ratio")
    results.overhead = overhead.measure(
        overhead_probes(corpus),
        authorization=f"Token {token.key}",
        runs=options.runs,
        samples=options.samples,
        seed=corpus.size.seed,
    )

    steps.next("round trips")  # the first writes
    call_command("repair_stale_keys", "--json", stdout=io.StringIO())  # the scan the repairs page shows
    api.get("/api/artifacts/?artifact_type=model")  # learns the registry's indexes: once per process
    results.round_trips = round_trips.measure(round_trips.operations(corpus, api=api), api=api, admin=admin)

    steps.next("filtered pages")
    results.filter_pages = filter_pages.measure(api=api, admin=admin)

    steps.next("memory")
    big_job_id = big_job(corpus, megabytes=options.big_steps_mb)
    findings = "{findings} findings".format
    results.memory = [
        memory.measure(
            "`repair_stale_keys --json` (default kinds)",
            ["repair"],
            repeats=options.memory_runs,
            describe=lambda result: findings(**result),
        ),
        memory.measure(
            "`repair_stale_keys --json --kind all`",
            ["repair", "--kind", "all"],
            repeats=max(1, options.memory_runs // 3),
            describe=lambda result: findings(**result),
        ),
        memory.measure(
            f"`GET /api/jobs/{{id}}/`, {options.big_steps_mb:g} MB of offloaded steps",
            ["get", f"/api/jobs/{big_job_id}/", f"/api/jobs/{corpus.jobs['s3'][0]}/"],
            repeats=options.memory_runs,
            environment={"BENCH_TOKEN": token.key},
            describe=lambda result: f"{result['response_bytes'] / 1e6:.1f} MB response",
        ),
    ]
    steps.next(None)
    results.step_seconds = steps.seconds
    return results


class Steps:
    """Says what the benchmark is doing, and how long each part took."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def next(self, name: str | None) -> None:
        now = time.monotonic()
        if self._current is not None:
            done, started = self._current
            self.seconds[done] = now - started
            print(f"[bench] {done}: {now - started:.0f} s", flush=True)
        self._current = None if name is None else (name, now)
        if name is not None:
            print(f"[bench] {name}…", flush=True)
