"""Every admin page shows times one way (Django's format, UTC said once) and durations one way;
odd stored times are text and never break a page."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from jobs.gateway import JobGateway
from jobs.models import Job
from projects.gateway import ProjectsGateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def test_lists_and_history_show_a_moment_the_same_way(staff, superuser, aws):
    JobGateway().table.put_item(Item={"job_id": "j1", "status": "completed", "updated_at": "2025-11-07T09:12:03Z"})
    LogEntry.objects.create(
        user=superuser,
        content_type=ContentType.objects.get_for_model(Job),
        object_id="j1",
        object_repr="j1",
        action_flag=CHANGE,
        change_message="Changed status.",
        action_time=datetime(2025, 11, 7, 9, 12, 3, tzinfo=UTC),
    )
    listed = staff.get("/admin/jobs/job/").content.decode()
    history = staff.get("/admin/jobs/job/j1/history/").content.decode()
    detail = staff.get("/admin/jobs/job/j1/change/").content.decode()
    shown = "Nov. 7, 2025, 9:12 a.m."
    assert f">{shown}</time>" in listed and shown in history and f">{shown}</time>" in detail
    assert "Updated (UTC)" in listed and detail.count("All times are UTC.") == 1


@pytest.mark.parametrize(
    "stored",
    ["99999-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "not a date", "<b>x</b>"],
)
def test_odd_times_are_text_on_lists_and_detail_pages(staff, aws, stored):
    JobGateway().table.put_item(Item={"job_id": "j1", "updated_at": stored, "started_at": stored})
    ProjectsGateway().put_many(
        [
            {
                "project_id": "p1",
                "updated_at": stored,
                "stages_snapshot": {"stages": [{"stage": "a", "status": "running", "started_at": stored}]},
            }
        ]
    )
    escaped = stored.replace("<", "&lt;").replace(">", "&gt;")
    for url in (
        "/admin/jobs/job/",
        "/admin/jobs/job/j1/change/",
        "/admin/projects/project/",
        "/admin/projects/project/p1/change/",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert escaped in response.content.decode(), url


def test_a_project_page_formats_stage_times_and_says_when_the_axis_is_compressed(staff, aws):
    stages = [
        {
            "stage": "quick",
            "status": "completed",
            "started_at": "2024-01-01T00:00:00Z",
            "completed_at": "2024-01-01T00:03:51Z",
        },
        {"stage": "stuck", "status": "running", "started_at": "2024-01-01T00:03:51Z"},
    ]
    ProjectsGateway().put_many([{"project_id": "p1", "stages_snapshot": {"stages": stages}}])
    html = staff.get("/admin/projects/project/p1/change/").content.decode()
    assert html.count("All times are UTC.") == 1
    assert re.search(r"<dt>Started</dt><dd><time [^>]*>Jan\. 1, 2024, midnight</time></dd>", html)
    assert "3m 51s" in html and 'id="timeline-not-to-scale"' in html
    quick = re.search(
        r'<g class="stage-row" data-stage="quick".*?<rect class="bar" x="[^"]+" y="[^"]+" width="([^"]+)"', html, re.S
    )
    assert float(quick.group(1)) >= 24
