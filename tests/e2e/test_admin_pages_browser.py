"""The main admin pages in a real browser on demo data: finding a job, paging back and forth, a
project's timeline and a job's steps; each test leaves a screenshot in docs/screenshots/."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from core.dynamo.connection import dynamodb_table
from tests.e2e.screenshots import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRA_JOBS = 240


@pytest.fixture
def demo(aws_server, settings):
    call_command("seed_demo", stdout=io.StringIO())
    with dynamodb_table(settings.DYNAMODB_JOBS_TABLE).batch_writer() as batch:
        for n in range(EXTRA_JOBS):
            batch.put_item(
                Item={
                    "job_id": f"job_{n:04d}",
                    "status": "failed" if n % 40 == 0 else "completed",
                    "updated_at": f"2025-11-{1 + n % 28:02d}T08:{n % 60:02d}:00Z",
                }
            )


def test_a_whole_job_id_is_found_and_pages_go_back_and_forth(demo, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/jobs/job/")
    first_page = page.locator("#result_list th a").all_inner_texts()
    assert len(first_page) == 25 and "UPDATED (UTC)" in page.locator("#result_list thead").inner_text().upper()
    page.click("a.next-page")
    second_page = page.locator("#result_list th a").all_inner_texts()
    assert set(second_page).isdisjoint(first_page)
    page.click("a.next-page")
    page.click("a.previous-page")
    expect(page.locator("#result_list th a").first).to_have_text(second_page[0])
    page.click("a.previous-page")
    expect(page.locator("#result_list th a").first).to_have_text(first_page[0])
    assert page.locator("a.previous-page").count() == 0

    page.locator(".page-sizes a", has_text="100").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(100)

    page.fill("#searchbar", "job_0123")
    page.press("#searchbar", "Enter")
    expect(page.locator("#found-by-id")).to_be_visible()
    assert page.locator("#result_list th a").all_inner_texts() == ["job_0123"]

    page.goto(f"{live_server.url}/admin/jobs/job/?status=failed")
    expect(page.locator("#result_list tbody tr", has_text="job_0")).to_have_count(EXTRA_JOBS // 40)
    assert set(page.locator("#result_list tbody td:nth-child(2)").all_inner_texts()) == {"failed"}
    save_screenshot(page, "jobs-list", height=620)


def test_a_project_timeline(demo, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/projects/project/proj_9a7b3c2d1e0f/change/")
    timeline = page.locator("svg.project-timeline")
    expect(timeline).to_be_visible()
    assert page.locator("#times-in-utc").count() == 1
    save_screenshot(page, "project-timeline", height=1000)


def test_a_stage_running_for_a_year_leaves_the_others_readable(aws_server, admin_page, live_server, settings):
    stages = [
        {
            "stage": f"stage_{n}",
            "stage_number": n + 1,
            "status": "completed",
            "started_at": f"2025-01-01T00:{4 * n:02d}:00Z",
            "completed_at": f"2025-01-01T00:{4 * n + 4:02d}:00Z",
        }
        for n in range(5)
    ]
    stages.append({"stage": "stuck", "stage_number": 6, "status": "running", "started_at": "2025-01-01T00:20:00Z"})
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={"project_id": "proj_stuck", "status": "running", "stages_snapshot": {"stages": stages}}
    )
    admin_page.goto(f"{live_server.url}/admin/projects/project/proj_stuck/change/")
    bars = admin_page.locator("svg.project-timeline rect.bar")
    expect(bars).to_have_count(6)
    widths = [bars.nth(n).bounding_box()["width"] for n in range(6)]
    assert min(widths[:5]) >= 15 and widths[5] > sum(widths[:5])  # readable, and the long one still longest
    expect(admin_page.locator("#timeline-not-to-scale")).to_be_visible()


def test_a_job_with_offloaded_steps(demo, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/jobs/job/job_demo_failed/change/")
    expect(page.locator("tr.job-step")).to_have_count(5)
    durations = page.locator("td.job-duration").all_inner_texts()
    assert all(text.endswith("s") for text in durations)  # "14s", "1m 02s": one format
    save_screenshot(page, "job-steps", height=940)
