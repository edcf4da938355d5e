"""Staff change a project, a stage, a job and an artifact in a real browser; each change is stored
(read back with boto3) and listed in History; a form opened before an upstream write refuses to
overwrite it; an API write is listed in History with its user."""

import json
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from core.dynamo.connection import dynamodb_table
from tests.e2e.test_artifacts_browser import snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SNAPSHOT = {
    "total": 2,
    "completed": 1,
    "stages": [
        {"stage": "plan", "stage_name": "规划", "status": "completed", "logs": ["planned"]},
        {"stage": "build", "stage_name": "构建", "status": "running", "started_at": "2025-11-23T12:00:00Z"},
    ],
}


@pytest.fixture
def data(aws_server):
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={"project_id": "proj-1", "status": "running", "progress": Decimal(50), "stages_snapshot": SNAPSHOT}
    )
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(
        Item={"job_id": "job-1", "status": "running", "progress": Decimal(10), "execution_steps": []}
    )


def project_item() -> dict:
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).get_item(Key={"project_id": "proj-1"}, ConsistentRead=True)[
        "Item"
    ]


def expect_history(page, url: str, text: str, user: str = "root") -> None:
    page.goto(url)
    row = page.locator("#change-history tbody tr", has_text=text)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(user)


def test_a_project_and_one_of_its_stages_changed_from_the_admin(data, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/projects/project/proj-1/change/")
    form = page.locator("#progress-form")
    form.get_by_label("Status").fill("failed")
    form.get_by_label("Error").fill("disk full")
    form.get_by_role("button", name="Save progress").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed")
    item = project_item()
    assert item["status"] == "failed" and item["error"] == "disk full" and item["progress"] == 50

    page.locator("section.project-stage[data-stage=build] a.project-stage-change").click()
    expect(page.locator("div.breadcrumbs")).to_contain_text("构建")
    snap(page, "stage_form")
    stage_form = page.locator("#stage-form")
    stage_form.get_by_label("Status").select_option("completed")
    stage_form.get_by_label("Completed at").fill("2025-11-23T12:30:00Z")
    stage_form.get_by_label("New log line").fill("built by hand")
    stage_form.get_by_role("button", name="Save stage").click()
    expect(page.locator("ul.messagelist")).to_contain_text("stage “build” was changed")
    artifacts_form = page.locator("#artifacts-form")
    artifacts_form.get_by_label("Artifacts").fill("dist/app.zip\ndist/app.sig")
    artifacts_form.get_by_role("button", name="Save artifacts").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed")

    build = project_item()["stages_snapshot"]["stages"][1]
    assert build["status"] == "completed" and build["completed_at"] == "2025-11-23T12:30:00Z"
    assert build["logs"] == ["built by hand"] and build["output_data"]["artifacts"] == ["dist/app.zip", "dist/app.sig"]
    assert project_item()["stages_snapshot"]["completed"] == 2

    history = f"{live_server.url}/admin/projects/project/proj-1/history/"
    expect_history(page, history, "Changed status and error.")
    expect_history(page, history, "Changed status, completed_at and logs for stage “build”.")
    expect_history(page, history, "Changed artifacts for stage “build”.")
    snap(page, "project_history")


def test_a_job_changed_from_the_admin(data, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/jobs/job/job-1/change/")
    form = page.locator("#job-form")
    form.get_by_label("Progress").fill("90")
    form.get_by_label("Current step").fill("deploy")
    snap(page, "job_form")
    form.get_by_role("button", name="Save job").click()
    expect(page.locator("ul.messagelist")).to_contain_text("job “job-1” was changed")
    item = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "job-1"}, ConsistentRead=True)["Item"]
    assert item["progress"] == 90 and item["current_step"] == "deploy" and item["status"] == "running"
    expect_history(page, f"{live_server.url}/admin/jobs/job/job-1/history/", "Changed current_step and progress.")


def test_an_artifact_added_and_changed_from_the_admin(data, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/artifacts/artifact/")
    page.get_by_role("link", name="Add artifact").click()
    form = page.locator("#artifact-form")
    form.get_by_label("Name").fill("Whisper Tiny")
    form.get_by_label("Type").select_option("model")
    form.get_by_label("URL").fill("https://huggingface.co/openai/whisper-tiny")
    form.get_by_label("Net score").fill("0.5")
    snap(page, "artifact_add")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was added")
    expect(page.locator("h1")).to_have_text("Whisper Tiny")

    form = page.locator("#artifact-form")
    expect(form.get_by_label("URL")).to_be_disabled()
    form.get_by_label("Bus factor").fill("0.75")
    form.get_by_label("Name").fill("Whisper tiny (OpenAI)")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed")
    expect(page.locator("h1")).to_have_text("Whisper tiny (OpenAI)")
    [item] = dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).scan(ConsistentRead=True)["Items"]
    assert json.loads(item["rating"]) == {"net_score": 0.5, "bus_factor": 0.75}
    assert json.loads(item["artifact"])["metadata"]["name"] == "Whisper tiny (OpenAI)"
    assert item["url"] == "https://huggingface.co/openai/whisper-tiny"
    history = page.url.replace("/change/", "/history/")
    expect_history(page, history, "Added.")
    expect_history(page, history, "Changed name and rating.bus_factor.")


def test_a_form_opened_before_an_upstream_write_refuses_to_overwrite_it(data, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/projects/project/proj-1/change/")
    form = page.locator("#progress-form")
    form.get_by_label("Progress").fill("75")
    # The build pipeline writes while the form is open.
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).update_item(
        Key={"project_id": "proj-1"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": 60}
    )
    form.get_by_role("button", name="Save progress").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was not saved: another writer changed it meanwhile")
    conflict = page.locator("table.gateway-conflicts tbody tr")
    expect(conflict).to_have_count(1)
    expect(conflict.locator(".conflict-current")).to_have_text("60")
    expect(conflict.locator(".conflict-submitted")).to_have_text("75")
    snap(page, "progress_conflict")
    assert project_item()["progress"] == 60

    # The stage form as well: the snapshot changes under it.
    page.goto(f"{live_server.url}/admin/projects/project/proj-1/stages/build/")
    page.locator("#stage-form").get_by_label("Status").select_option("failed")
    changed = json.loads(json.dumps(SNAPSHOT))
    changed["stages"][1]["status"] = "completed"
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).update_item(
        Key={"project_id": "proj-1"},
        UpdateExpression="SET stages_snapshot = :s",
        ExpressionAttributeValues={":s": changed},
    )
    page.locator("#stage-form").get_by_role("button", name="Save stage").click()
    expect(page.locator("#stage-form .conflict-current")).to_have_text("completed")
    assert project_item()["stages_snapshot"]["stages"][1]["status"] == "completed"
    page.goto(f"{live_server.url}/admin/projects/project/proj-1/history/")
    expect(page.locator("#content-main")).to_contain_text("This object doesn’t have a change history.")


def test_an_api_write_is_listed_in_history_with_its_user(data, admin_page, live_server, make_user):
    user = make_user("pipeline", perms=["projects.change_project"])
    token = Token.objects.create(user=user).key
    response = requests.patch(
        f"{live_server.url}/api/projects/proj-1/stages/build/",
        json={"status": "failed", "error": "timeout"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    expect_history(
        admin_page,
        f"{live_server.url}/admin/projects/project/proj-1/history/",
        "Changed status and error for stage “build”.",
        user="pipeline",
    )
