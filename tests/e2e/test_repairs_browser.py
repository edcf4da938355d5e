"""Stale key repairs in a real browser: findings, preview, confirmation, message and history."""

import re

import pytest
from django.contrib.admin.models import LogEntry

from tests.conftest import log_in
from tests.e2e.screenshots import save_screenshot
from tests.integration.test_repairs_scan import World
from tests.integration.test_repairs_scans import scan_now

PAGE = "/admin/jobs/stalekeyrepair/"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_previews_confirms_and_finds_the_repair_in_the_history(admin_page, live_server):
    world = World()
    world.plant_each_kind()
    scan_now()
    page = admin_page
    page.goto(f"{live_server.url}/admin/")
    page.locator("#content-main th[scope=row] a", has_text="Stale key repairs").click()
    assert page.locator("#kind-both_present h2").inner_text() == "Both present 1"
    assert page.locator("#changelist-filter li", has_text="Dangling key (1)").count() == 1
    page.set_viewport_size({"width": 1400, "height": 1000})
    save_screenshot(page, "repairs-findings", width=1400)

    page.get_by_label("Select both").check()
    page.get_by_label("Select dangling").check()
    page.get_by_role("button", name="Repair selected…").click()
    assert page.locator("h1").inner_text() == "Repair stale keys?"
    changes = page.locator("td.change").all_inner_texts()
    assert changes[0].startswith("REMOVE execution_steps (2 inline steps; S3 object jobs/both/execution_steps.json")
    assert changes[1].startswith("REMOVE execution_steps_s3_key jobs/dangling/execution_steps.json (S3 object missing")
    save_screenshot(page, "repairs-preview", width=1400, height=420)
    assert "execution_steps" in world.item("both")  # still a dry run

    page.get_by_role("button", name="Yes, repair 2").click()
    # The confirmation page's own URL (.../repair/) also starts with PAGE: wait for the list itself.
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}{PAGE}") + r"(\?.*)?$"))
    assert page.locator("ul.messagelist li.success").inner_text().startswith("Repaired 2: both (both_present)")
    assert page.locator("#kind-both_present .gateway-badge.ok").inner_text() == "repaired since this scan"
    assert page.locator("#kind-both_present input[name=finding]").count() == 0
    recent = page.locator("#recent-repairs tbody tr")
    assert recent.count() == 2 and "root" in recent.first.inner_text()
    save_screenshot(page, "repairs-done", width=1400)
    assert "execution_steps" not in world.item("both") and "execution_steps_s3_key" not in world.item("dangling")
    entry = LogEntry.objects.get(object_id="dangling")
    assert entry.user.username == "root" and "the steps are lost" in entry.change_message

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#recent-actions-module", has_text="dangling").count() == 1
    page.goto(f"{live_server.url}/admin/jobs/job/dangling/change/")
    page.get_by_role("link", name="History").click()
    history = page.locator("#change-history tbody tr")
    assert history.count() == 1 and "the steps are lost" in history.first.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_the_change_permission_findings_are_read_only_and_a_post_is_403(
    page, live_server, aws_server, make_user
):
    World().plant_each_kind()
    scan_now()
    make_user("viewer", perms=["jobs.view_stalekeyrepair"])
    log_in(page, live_server.url, "viewer")
    page.goto(f"{live_server.url}{PAGE}")
    assert page.locator("#kind-dangling_key tbody tr").count() == 1
    assert page.locator("input[name=finding]").count() == 0
    assert page.get_by_role("button", name="Repair selected…").count() == 0
    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}{PAGE}repair/",
        form={"scope": "kind:dangling_key", "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}{PAGE}"},
    )
    assert response.status == 403 and "CSRF" not in response.text()
    assert "execution_steps_s3_key" in World().item("dangling")
