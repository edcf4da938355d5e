"""The project pages in a real browser, on a live server backed by a moto server."""

import json

import pytest
from django.conf import settings
from playwright.sync_api import expect

from core.dynamo.connection import dynamodb_table
from tests.integration.test_projects_admin import SNAPSHOT


@pytest.fixture
def projects(aws_server):
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(Item={"project_id": "proj_ok", "status": "failed", "stages_snapshot": SNAPSHOT})
    table.put_item(Item={"project_id": "proj_broken", "status": "running", "stages_snapshot": '{"stages": [{"st'})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_malformed_snapshot_shows_its_banner_in_the_browser(projects, admin_page, live_server):
    admin_page.goto(f"{live_server.url}/admin/projects/project/")
    row = admin_page.locator("#result_list tr", has_text="proj_broken")
    assert "malformed snapshot" in row.inner_text()
    row.locator("a").click()
    banner = admin_page.locator("#snapshot-error")
    expect(banner).to_contain_text("The stages_snapshot is malformed")
    assert "invalid JSON" in banner.inner_text()
    assert admin_page.locator("#stored-snapshot pre").inner_text() == '{"stages": [{"st'
    assert admin_page.locator("svg.project-timeline").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_timeline_is_drawn_and_logs_open_on_demand(projects, admin_page, live_server):
    admin_page.goto(f"{live_server.url}/admin/projects/project/proj_ok/change/")
    timeline = admin_page.locator("svg.project-timeline")
    assert timeline.is_visible()
    bars = timeline.locator("rect.bar")
    assert bars.count() == 2
    first, second = bars.nth(0).bounding_box(), bars.nth(1).bounding_box()
    assert second["x"] >= first["x"] + first["width"] - 1  # the second stage starts where the first ended
    assert second["width"] > first["width"]  # 5m 50s against 4m 10s
    assert "1. 需求分析" in timeline.text_content() and "5. 工具开发" in timeline.text_content()
    logs = admin_page.locator("section.project-stage[data-stage=requirements_analyzer] details.project-logs")
    assert not logs.locator("pre").is_visible()
    logs.locator("summary").click()
    assert logs.locator("pre").is_visible() and '"message": "done"' in logs.locator("pre").inner_text()
    assert json.loads(admin_page.locator("#raw-item pre").inner_text())["project_id"] == "proj_ok"
