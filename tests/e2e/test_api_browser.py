"""The API in a browser: the admin's "View site" opens the API's root, whose links lead staff
through DRF's browsable pages; a browser without a staff session gets the API's JSON, no page."""

import json

import pytest
from django.conf import settings

from core.dynamo.connection import dynamodb_table

PROJECT = {
    "project_id": "proj-seen-in-a-browser",
    "status": "running",
    "stages_snapshot": json.dumps({"total": 1, "completed": 0, "stages": [{"stage": "build", "status": "running"}]}),
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_view_site_leads_staff_to_the_browsable_api_and_its_data(admin_page, live_server):
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item=PROJECT)
    admin_page.goto(f"{live_server.url}/admin/")
    admin_page.locator("#user-tools a", has_text="View site").click()
    admin_page.wait_for_url(f"{live_server.url}/api/")
    assert admin_page.locator("h1").inner_text() == "DynamoDB window API"
    admin_page.locator("a", has_text=f"{live_server.url}/api/projects/").click()
    admin_page.wait_for_url(f"{live_server.url}/api/projects/")
    assert "proj-seen-in-a-browser" in admin_page.locator(".response-info pre").inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_without_a_staff_session_gets_json_and_no_data(page, live_server, aws_server):
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item=PROJECT)
    response = page.goto(f"{live_server.url}/api/projects/")
    assert response.status == 401 and response.headers["content-type"] == "application/json"
    assert json.loads(page.locator("body").inner_text())["code"] == "not_authenticated"
    assert "proj-seen-in-a-browser" not in page.content()
