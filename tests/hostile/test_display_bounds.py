"""Detail pages page long lists (stages, each stage's logs, steps) and read a bounded number of
stages, so that the page's size follows the page, not the item."""

import json
import re
from html import unescape

import pytest
from django.conf import settings

from core.dynamo.connection import dynamodb_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, superuser):
    client.force_login(superuser)
    return client


def stage_ids(html: str) -> list[str]:
    return re.findall(r'<section class="project-stage" data-stage="([^"]*)">', html)


def put_project(aws, project_id: str, snapshot: dict) -> None:
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(Item={"project_id": project_id, "stages_snapshot": json.dumps(snapshot, separators=(",", ":"))})


def test_stages_come_in_pages_of_50_with_their_timeline_rows(aws, admin):
    stages = [{"stage": f"s{n}", "status": "completed", "logs": []} for n in range(120)]
    put_project(aws, "p1", {"total": 120, "stages": stages})
    first = admin.get("/admin/projects/project/p1/change/").content.decode()
    assert stage_ids(first) == [f"s{n}" for n in range(50)]
    assert re.findall(r'<g class="stage-row" data-stage="([^"]*)"', first) == stage_ids(first)  # this page's rows
    assert "Stages 1–50 of 120" in first and 'href="?stages_page=2"' in first
    last = admin.get("/admin/projects/project/p1/change/?stages_page=3").content.decode()
    assert stage_ids(last) == [f"s{n}" for n in range(100, 120)] and "Stages 101–120 of 120" in last
    assert stage_ids(admin.get("/admin/projects/project/p1/change/?stages_page=x").content.decode())[0] == "s0"


def test_each_stage_pages_its_logs(aws, admin):
    stages = [{"stage": "a", "logs": [f"line {n}" for n in range(250)]}, {"stage": "b", "logs": ["only"]}]
    put_project(aws, "p1", {"stages": stages})
    first = admin.get("/admin/projects/project/p1/change/").content.decode()
    assert "line 99\n" in first and "line 100\n" not in first and "Lines 1–100 of 250" in first
    link = unescape(
        re.search(
            r'href="(\?[^"]*log_page=3[^"]*)"',
            admin.get("/admin/projects/project/p1/change/?log_stage=0&log_page=2").content.decode(),
        ).group(1)
    )
    third = admin.get("/admin/projects/project/p1/change/" + link).content.decode()
    assert "line 200\n" in third and "line 249\n" in third and "line 199\n" not in third
    assert "only\n" in third  # the other stage keeps its first page


def test_a_360_kb_item_with_120000_stages_makes_a_small_page(aws, admin, settings):
    settings.PROJECT_STAGES_MAX_COUNT = 1000
    put_project(aws, "big", {"total": 120_000, "stages": [{}] * 120_000})
    response = admin.get("/admin/projects/project/big/change/")
    html = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 300_000
    assert "lists 120000 stages; this page reads the first 1000" in html
    assert "Stages 1–50 of 1000" in html
    assert len(admin.get("/api/projects/big/").json()["stages_snapshot"]["stages"]) == 120_000


def test_steps_come_in_pages_with_a_failed_only_view(aws, admin):
    steps = [
        {"step_order": n, "step_name": f"step {n}", "status": "failed" if n % 10 == 0 else "completed"}
        for n in range(1, 251)
    ]
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "j1", "execution_steps": steps})
    first = admin.get("/admin/jobs/job/j1/change/").content.decode()
    assert first.count('<tr class="job-step">') == 100 and "Steps 1–100 of 250" in first
    assert "250 steps" in first and "Failed only (25)" in first
    third = admin.get("/admin/jobs/job/j1/change/?steps_page=3").content.decode()
    assert re.findall(r"<td>(step \d+)", third) == [f"step {n}" for n in range(201, 251)]
    failed = admin.get("/admin/jobs/job/j1/change/?steps=failed").content.decode()
    names = re.findall(r"<td>(step \d+)", failed)
    assert names == [f"step {n}" for n in range(10, 251, 10)]
