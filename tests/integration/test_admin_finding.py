"""Finding things in the admin lists: a whole id is one GetItem, part of one a search within the
request budget that says how much it read; "Previous page" and the page size."""

import re
from html import unescape

import pytest

from artifacts.services import ArtifactContent, artifact_create
from core.dynamo.connection import watch_calls
from jobs.gateway import JobGateway

pytestmark = pytest.mark.django_db

pytest_plugins = ["tests.integration.artifacts_support"]  # its fixtures

JOBS = "/admin/jobs/job/"
JOB_COUNT = 260


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def jobs(aws):
    gateway = JobGateway()
    with gateway.table.batch_writer() as batch:
        for n in range(JOB_COUNT):
            batch.put_item(Item={"job_id": f"job-{n:04d}", "status": "failed" if n % 50 == 3 else "completed"})
    return gateway


def job_ids(html: str) -> list[str]:
    return re.findall(r'<th><a href="/admin/jobs/job/[^"]+">([^<]+)</a></th>', html)


def link(html: str, css_class: str) -> str | None:
    found = re.search(rf'<a class="{css_class}" href="([^"]+)"', html)
    return JOBS + unescape(found.group(1)) if found else None


def test_a_whole_job_id_is_one_get_item_wherever_the_job_sits(staff, jobs):
    with watch_calls() as calls:
        html = staff.get(JOBS, {"q": "job-0257"}).content.decode()
    assert calls == [("dynamodb", "GetItem")]
    assert job_ids(html) == ["job-0257"] and "Found by its id" in html


def test_a_whole_id_outside_the_selected_filter_is_not_shown(staff, jobs):
    html = staff.get(JOBS, {"q": "job-0257", "status": "failed"}).content.decode()
    assert job_ids(html) == []


def test_part_of_an_id_is_a_search_that_says_how_much_it_read(staff, jobs, settings):
    settings.LIST_MAX_REQUESTS = 1
    with watch_calls() as calls:
        html = staff.get(JOBS, {"q": "-02", "per_page": "100"}).content.decode()
    assert calls == [("dynamodb", "GetItem"), ("dynamodb", "Scan")]
    # moto's pages are 1 MB: one request reads the whole small table, so the search is complete.
    assert job_ids(html) == [f"job-{n:04d}" for n in range(200, 260)]
    assert "more remain" not in html


def test_a_short_page_says_how_much_it_searched(staff, aws, settings):
    gateway = JobGateway()
    padding = "x" * 10_000  # about 2.6 MB: three of DynamoDB's 1 MB pages
    with gateway.table.batch_writer() as batch:
        for n in range(JOB_COUNT):
            batch.put_item(Item={"job_id": f"job-{n:04d}", "status": "completed", "note": padding})
    settings.LIST_MAX_REQUESTS = 2
    html = staff.get(JOBS, {"status": "failed"}).content.decode()
    extent = re.search(r'<p class="help" id="search-extent">(.*?)</p>', html).group(1)
    assert re.fullmatch(r"No matches: searched [\d,]+ items in 2 requests; more remain\.", extent)
    assert "Nothing found." not in html and link(html, "next-page")


def test_an_artifact_found_by_its_whole_id(staff, artifacts_table):
    record = artifact_create(content=ArtifactContent(artifact_type="model", name="bert", url="https://hf.co/bert"))
    with watch_calls() as calls:
        html = staff.get("/admin/artifacts/artifact/", {"q": record.artifact_id}).content.decode()
    assert calls == [("dynamodb", "GetItem")]
    assert ">bert</a>" in html and "Found by its id" in html


def test_previous_page_walks_back_through_signed_cursors(staff, jobs):
    forward = [staff.get(JOBS).content.decode()]
    for _ in range(3):
        forward.append(staff.get(link(forward[-1], "next-page")).content.decode())
    assert link(forward[0], "previous-page") is None
    back = forward[-1]
    for expected in reversed(forward[:-1]):
        back = staff.get(link(back, "previous-page")).content.decode()
        assert job_ids(back) == job_ids(expected)
    assert link(back, "previous-page") is None  # the first page


def test_a_tampered_or_foreign_page_history_is_a_400(staff, jobs):
    second = link(staff.get(JOBS).content.decode(), "next-page")
    third = link(staff.get(second).content.decode(), "next-page")
    history = re.search(r"back=([^&]+)", third).group(1)
    tampered = third.replace(history, history[:-2] + ("AA" if not history.endswith("AA") else "BB"))
    assert staff.get(tampered).status_code == 400
    # The same history offered to another listing (a filter added) is refused too.
    assert staff.get(third + "&status=completed").status_code == 400


def test_previous_page_reaches_back_a_bounded_number_of_pages(staff, jobs):
    url = JOBS + "?per_page=25"
    for _ in range(10):
        url = link(staff.get(url).content.decode(), "next-page")
    assert len(url) < 10_000
    html = staff.get(url).content.decode()
    assert link(html, "previous-page") is not None


def test_page_sizes(staff, jobs):
    html = staff.get(JOBS, {"per_page": "100"}).content.decode()
    assert len(job_ids(html)) == 100
    assert "per_page=100" in link(html, "next-page")
    assert "<strong>100</strong>" in html and 'per_page=200">200</a>' in html
    assert '<input type="hidden" name="per_page" value="100">' in html  # a search keeps the page size
    assert len(job_ids(staff.get(JOBS, {"per_page": "200"}).content.decode())) == 200
    # Any other value is the default, as an unknown filter value is ignored.
    assert len(job_ids(staff.get(JOBS, {"per_page": "100000"}).content.decode())) == 25
