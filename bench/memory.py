"""Peak memory (RSS) of the repair command over the whole Jobs table, and of one GET of a job
whose offloaded steps are 5 MB. Each measurement is a fresh child process (`bench.child`) that
reports its RSS before the work and its peak during it, so that the difference is what the work
itself holds, apart from Django, the imports and the AWS clients."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .environment import ROOT
from .stats import Spread

MIB = 1024  # KiB


@dataclass(frozen=True)
class MemoryRow:
    label: str
    process_peak_mib: Spread  # the whole process, start-up included
    growth_mib: Spread  # peak during the work minus the RSS before it
    detail: str


def run_child(arguments: list[str], environment: dict[str, str]) -> dict:
    completed = subprocess.run(  # noqa: S603 (this package's own module, arguments built here)
        [sys.executable, "-m", "bench.child", *arguments],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.child {' '.join(arguments)} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(
    label: str,
    arguments: list[str],
    *,
    repeats: int,
    describe: Callable[[dict], str],
    environment: dict[str, str] | None = None,
) -> MemoryRow:
    results = [run_child(arguments, environment or {}) for _ in range(repeats)]
    return MemoryRow(
        label=label,
        process_peak_mib=Spread.of(result["process_peak_kib"] / MIB for result in results),
        growth_mib=Spread.of((result["peak_kib"] - result["baseline_kib"]) / MIB for result in results),
        detail=describe(results[0]),
    )
