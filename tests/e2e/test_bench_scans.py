"""`python -m bench.workers`, the big-table part of `make bench`, on a small table (dynalite as
DynamoDB, moto as S3, real `run_worker` processes): the counts that do not depend on timing."""

import pytest

from tests.e2e.test_bench import rows, run_bench, sections

JOBS = 12_000  # about 10 MB: 3 pages in each of the 4 segments, so a worker can be killed mid-segment


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, str]:
    output = tmp_path_factory.mktemp("bench") / "BENCHMARKS_SCANS.md"
    run_bench("bench.workers", "--jobs", str(JOBS), "--output", str(output))
    return sections(output.read_text(encoding="utf-8"))


def test_every_scan_reads_the_table_once_whatever_the_workers_and_a_killed_one(report):
    (scans,) = [text for title, text in report.items() if title.startswith("One scan of every kind")]
    runs = rows(scans)
    assert [run[0] for run in runs] == [
        "1 worker",
        "2 workers",
        "4 workers",
        "2 workers, one killed (SIGKILL) mid-segment and replaced",
    ]
    # items, Scan requests, bytes read, read units, List requests, objects listed and findings:
    # the same for every run
    assert len({tuple(run[2:3] + run[4:10]) for run in runs}) == 1
    items, requests, read_units, findings = runs[0][2], int(runs[0][4]), runs[0][6], int(runs[0][9])
    assert items == f"{JOBS:,}" and requests >= 10 and read_units != "not reported"
    # one object per 100 jobs (offloaded) and one orphan per 1,000: a single page of the listing
    assert (runs[0][7], runs[0][8]) == ("1", f"{JOBS // 100 + JOBS // 1000:,}")
    assert findings == 3 * JOBS // 1000  # both_present, dangling_key and orphan_object, one of each per 1,000
    assert [run[10] for run in runs] == ["0", "0", "0", "1"]  # segments resumed
    assert "resumed from the recorded key, no page read twice." in scans


def test_the_repairs_page_and_the_api_make_no_aws_request_whatever_the_table_size(report):
    views = rows(report["The repairs page and `GET /api/repairs/` against the table's size"])
    assert [(view[0], view[1], view[3]) for view in views] == [(f"{JOBS // 100:,}", "0", "0"), (f"{JOBS:,}", "0", "0")]


def test_filtered_pages_of_a_rare_status_fill_up_within_the_request_budget(report):
    walks = rows(report["Filtered pages of a rare status, at the full table"])
    assert [walk[0] for walk in walks] == ["API", "Admin"]
    for walk in walks:
        assert walk[3] == f"{JOBS // 100:,}" and walk[-1] == "PASS"
        assert int(walk[6]) <= 8  # requests of the fullest page: LIST_MAX_REQUESTS
        assert int(walk[4]) <= JOBS // 100 // 25 + 1  # pages: full ones of 25 results, not one per request
