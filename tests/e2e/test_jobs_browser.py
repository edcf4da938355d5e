"""The Jobs admin in a real browser, on a live server backed by moto's server."""

import pytest

from core.dynamo.values import to_dynamodb
from jobs.gateway import JobGateway
from jobs.services import job_update

SCREENSHOTS = "/tmp/jobs_{}.png"


def steps(count, chars):
    return [
        {
            "step_order": n,
            "step_name": f"Write section {n}",
            "step_type": "ai_generation",
            "status": "failed" if n == count else "completed",
            "duration_ms": 700 * n + (5000 if n == 3 else 0),
            "input": {"instructions": f"Write section {n} of the guide."},
            "output": f"Section {n}. " + "Lorem ipsum dolor sit amet. " * (chars // 28),
            "usage_info": {"input_tokens": 900 + n, "output_tokens": chars // 4},
        }
        for n in range(1, count + 1)
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_detail_page_renders_offloaded_steps(admin_page, live_server):
    JobGateway().table.put_item(Item=to_dynamodb({"job_id": "job_e2e", "status": "completed"}))
    record = job_update(job_id="job_e2e", execution_steps=steps(8, chars=60_000))
    assert record.steps_location == "s3"

    admin_page.goto(f"{live_server.url}/admin/jobs/job/?location=s3")
    admin_page.screenshot(path=SCREENSHOTS.format("list"))
    admin_page.get_by_role("link", name="job_e2e").click()
    admin_page.wait_for_url("**/admin/jobs/job/job_5Fe2e/change/")  # the admin quotes "_"

    rows = admin_page.locator("tr.job-step")
    assert rows.count() == 8
    assert rows.nth(2).locator("td").nth(1).inner_text() == "Write section 3"
    badge = admin_page.locator("#s3-object-badge").inner_text()
    assert "jobs/job_e2e/execution_steps.json" in badge and "KB" in badge
    widths = [float(rect.get_attribute("width")) for rect in admin_page.locator("svg.job-bar rect").all()]
    assert max(widths) == 100.0 and widths[2] == 100.0 and widths[0] < 20

    admin_page.set_viewport_size({"width": 1280, "height": 900})
    admin_page.screenshot(path=SCREENSHOTS.format("detail"), full_page=True)

    summary = admin_page.locator("tr.job-step-details").first.get_by_text("Output", exact=True)
    output = summary.locator("xpath=..").locator("pre")
    assert not output.is_visible()
    summary.click()
    assert output.is_visible() and output.inner_text().startswith("Section 1. Lorem ipsum")
