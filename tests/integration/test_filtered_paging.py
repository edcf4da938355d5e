"""Filtered lists fill their pages: DynamoDB's full pages, read until `limit` matches, the table's
end or LIST_MAX_REQUESTS requests; unfiltered pages stay one request."""

import pytest
from rest_framework.test import APIClient

from artifacts.gateway import ArtifactGateway
from core.dynamo.connection import watch_calls
from jobs.gateway import JobGateway
from projects.gateway import ProjectsGateway

pytestmark = pytest.mark.django_db

JOBS = 3_000
FAILED_EVERY = 100  # 1% of jobs
PADDING = "x" * 1_000  # about 3 MB in all: several of DynamoDB's 1 MB pages


@pytest.fixture
def jobs(aws):
    gateway = JobGateway()
    with gateway.table.batch_writer() as batch:
        for n in range(JOBS):
            status = "failed" if n % FAILED_EVERY == 7 else "completed"
            batch.put_item(Item={"job_id": f"job-{n:05d}", "status": status, "note": PADDING})
    return gateway


@pytest.fixture
def api(aws, make_user):
    client = APIClient()
    client.force_authenticate(make_user("reader", perms=["jobs.view_job"]))
    return client


def follow(api, url):
    """Every page of a listing: (job ids of each page, DynamoDB requests of each page)."""
    pages, requests = [], []
    while url:
        with watch_calls() as calls:
            response = api.get(url)
        assert response.status_code == 200
        pages.append([job["job_id"] for job in response.json()["results"]])
        requests.append(len(calls))
        url = response.json()["next"]
    return pages, requests


def test_thirty_matches_among_three_thousand_come_in_two_pages(api, jobs):
    pages, requests = follow(api, "/api/jobs/?status=failed&limit=25")
    found = [job_id for page in pages for job_id in page]
    assert len(pages) <= 2
    assert [len(page) for page in pages] == [25, 5]
    assert sorted(found) == [f"job-{n:05d}" for n in range(7, JOBS, FAILED_EVERY)]
    assert all(count <= 8 for count in requests)
    # The table is larger than one DynamoDB page: the filtered page did read on.
    assert sum(requests) > 2


def test_the_next_page_resumes_right_after_the_last_match_returned(jobs):
    first = jobs.list_page(status="failed", limit=3)
    second = jobs.list_page(status="failed", limit=3, cursor=first.next_cursor)
    # One DynamoDB page held all three and more: none of the others is skipped.
    assert [record.job_id for record in first.items + second.items] == [f"job-{n:05d}" for n in range(7, 600, 100)]
    assert first.requests == 1


def test_a_rare_filter_stops_at_the_request_budget_and_says_how_much_it_read(jobs, settings):
    settings.LIST_MAX_REQUESTS = 2
    with watch_calls() as calls:
        page = jobs.list_page(status="no-such-status", limit=25)
    assert page.items == [] and page.next_cursor is not None
    assert calls == [("dynamodb", "Scan")] * 2
    assert page.requests == 2 and 0 < page.scanned < JOBS
    rest = jobs.list_page(status="no-such-status", limit=25, cursor=page.next_cursor)
    assert rest.next_cursor is None
    assert page.scanned + rest.scanned == JOBS


def test_unfiltered_pages_stay_one_request_of_limit_items(api, jobs):
    with watch_calls() as calls:
        page = jobs.list_page(limit=25)
    assert calls == [("dynamodb", "Scan")]
    assert len(page.items) == 25 and page.scanned == 25 and page.next_cursor is not None


def test_projects_and_artifacts_fill_their_filtered_pages_too(aws):
    projects = ProjectsGateway()
    artifacts = ArtifactGateway()
    with projects.table.batch_writer() as batch:
        for n in range(40):
            batch.put_item(Item={"project_id": f"proj_{n:03d}", "status": "failed" if n % 10 == 0 else "running"})
    with artifacts.table.batch_writer() as batch:
        for n in range(40):
            batch.put_item(
                Item={"artifact_id": f"a{n:03d}", "artifact_type": "model", "name_normalized": f"bert-{n % 10}"}
            )
    failed = projects.page(status="failed", limit=4)
    assert [record.project_id for record in failed.items] == ["proj_000", "proj_010", "proj_020", "proj_030"]
    # A Query on the type index, filtered by name: the cursor carries the index's key too.
    first = artifacts.page(artifact_type="model", name_query="bert-3", limit=2)
    second = artifacts.page(artifact_type="model", name_query="bert-3", limit=2, cursor=first.next_cursor)
    names = [record.artifact_id for record in first.items + second.items]
    assert sorted(names) == ["a003", "a013", "a023", "a033"]
