"""`python -m bench` as `make bench` runs it, on a tiny corpus: the report it writes has every
section, and the measurements that do not depend on timing meet their targets."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = [
    "Summary",
    "Machine",
    "Corpus",
    "1. Round trips per operation",
    "2. Overhead ratio",
    "3. Repair scan",
    "4. Offload: exact size vs `len(json) * 1.1`",
    "5. Memory",
    "6. Filtered pages of a rare status",
    "Reproducing",
]
RATIO = r"\d+\.\d\d( \(\d+\.\d\d–\d+\.\d\d\))?"


def sections(report: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", report, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def rows(section: str) -> list[list[str]]:
    """The cells of every table row in `section`, header and rule lines left out."""
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return [row for row in cells if row not in cells[:1]] if cells else []


def run_bench(module: str, *arguments: str) -> subprocess.CompletedProcess:
    """`python -m module arguments` as `make bench` runs it (its own settings, not the tests')."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    output = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    options = ["--scale", "0.02", "--runs", "2", "--samples", "5", "--scan-runs", "2", "--memory-runs", "1"]
    completed = run_bench("bench", *options, "--big-steps-mb", "0.5", "--output", str(output))
    text = output.read_text(encoding="utf-8")
    assert text in completed.stdout  # printed as written
    return text


def test_every_section_is_there_with_the_machine_and_the_corpus(report):
    found = sections(report)
    assert list(found) == SECTIONS
    machine = {row[0]: row[1] for row in rows(found["Machine"])}
    for name in ("CPU", "RAM", "Python", "Django", "boto3", "moto"):
        assert machine[name], name
    assert "Seed 20251107, scale 0.02" in found["Corpus"]
    assert {row[0] for row in rows(found["Corpus"])} == {
        "AgentProjects",
        "Jobs",
        "s3://job-artifacts/jobs/",
        "artifacts_metadata",
    }


def test_every_operation_meets_its_round_trip_target(report):
    trips = rows(sections(report)["1. Round trips per operation"])
    assert len(trips) > 40
    surfaces = {row[0] for row in trips}
    assert surfaces == {"Admin", "API", "Write"}
    failed = [row for row in trips if row[5] != "PASS"]
    assert failed == []
    lists = [row for row in trips if row[1] in {"Projects list", "Jobs list", "Artifacts list", "GET /api/jobs/"}]
    assert [row[3] for row in lists] == ["Scan"] * 4
    offloaded = next(row for row in trips if row[1] == "GET /api/jobs/{id}/ (offloaded)")
    assert offloaded[3] == "GetItem + S3 GetObject" and int(offloaded[4].replace(",", "")) > 300_000


def test_overhead_rows_carry_ratios_and_a_verdict(report):
    overhead = rows(sections(report)["2. Overhead ratio"])
    targeted = [row for row in overhead if row[6] == "≤ 1.25"]
    assert len(targeted) == 3
    for row in targeted:
        assert re.fullmatch(RATIO, row[4]) and row[7] in {"PASS", "**FAIL**"}
    references = [row for row in overhead if row[2] == "no AWS call"]
    assert [row[0].split(":")[0] for row in references] == ["The API alone", "Reference", "Reference"]
    # The token's user and permissions are read by the warm-up rounds, then remembered.
    assert {row[5] for row in overhead} == {"0"}
    assert "Where the added time goes. Three requests without any AWS call" in sections(report)["2. Overhead ratio"]


def test_the_key_scan_reads_a_sliver_of_the_table_and_segments_agree(report):
    summary = {row[0]: row for row in rows(sections(report)["Summary"])}
    share = summary["Repair scan (default kinds): bytes read / reading every item whole"]
    assert float(share[2].rstrip("%")) < 10 and share[3] == "PASS"
    assert summary["Repair scan: findings for 1, 2 and 4 segments"][2:] == ["identical", "PASS"]
    scans = rows(sections(report)["3. Repair scan"])
    assert [row[0] for row in scans] == ["1", "2", "4", "1", "4"]
    assert len({row[7] for row in scans[:3]}) == 1  # the same number of findings
    assert int(scans[3][7]) == int(scans[0][7]) + 1  # all kinds: the planted oversize item too


def test_offload_and_memory_are_reported(report):
    summary = {row[0]: row for row in rows(sections(report)["Summary"])}
    stored = summary["Offload: items the exact size keeps inline, stored by DynamoDB"]
    kept, of, total = stored[2].split()
    assert of == "of" and kept == total and stored[3] == "PASS"
    memory = rows(sections(report)["5. Memory"])
    assert [row[0].split(",")[0] for row in memory] == [
        "`repair_stale_keys --json` (default kinds)",
        "`repair_stale_keys --json --kind all`",
        "`GET /api/jobs/{id}/`",
    ]
    for row in memory:
        assert int(row[1]) >= 0 and int(row[2]) > int(row[1])


def test_filtered_pages_of_a_rare_status_fill_up_within_the_budget(report):
    walks = rows(sections(report)["6. Filtered pages of a rare status"])
    assert [row[0] for row in walks] == ["API", "Admin"]
    for row in walks:
        table_items, matches, pages, most = (int(row[index].replace(",", "")) for index in (2, 3, 4, 6))
        results = [int(count) for count in row[7].split(", ")]
        assert matches == round(table_items / 100) and sum(results) == matches
        assert most <= 8 and pages < int(row[8].replace(",", "")) and row[9] == "PASS"
