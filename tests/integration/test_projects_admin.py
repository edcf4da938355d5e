"""The projects admin pages against moto: request counts, search, filters, the detail page."""

import copy
import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.contrib.admin.utils import unquote

from core.dynamo.connection import dynamodb_client, dynamodb_table, watch_calls
from tests.integration.test_projects_gateway import SNAPSHOT as SAMPLE

pytestmark = pytest.mark.shared_db  # history, users: run on PostgreSQL too

# The shared sample, with its running stage failed instead, under a name that tries markup.
SNAPSHOT = copy.deepcopy(SAMPLE)
SNAPSHOT["stages"][1].update(
    stage_name="<script>alert(1)</script>", status="failed", completed_at="2025-11-23T12:10:00Z", error="model timeout"
)


@pytest.fixture
def table(aws):
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(
        Item={
            "project_id": "proj_timeline",
            "status": "failed",
            "current_stage": "prompt_engineer",
            "updated_at": "2025-11-23T12:10:00Z",
            "stages_snapshot": json.dumps(SNAPSHOT, ensure_ascii=False),
        }
    )
    table.put_item(Item={"project_id": "proj_broken", "status": "running", "stages_snapshot": '{"stages": [tru'})
    table.put_item(Item={"project_id": "proj_new", "status": "pending"})
    for n in range(30):
        table.put_item(Item={"project_id": f"proj_bulk_{n:02d}", "status": "completed", "stages_snapshot": SNAPSHOT})
    return table


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


def result_ids(html: str) -> list[str]:
    return [unquote(found) for found in re.findall(r'<th><a href="/admin/projects/project/([^/]+)/change/">', html)]


def next_url(html: str) -> str | None:
    found = re.search(r'<a class="next-page" href="([^"]+)"', html)
    return "/admin/projects/project/" + unescape(found.group(1)) if found else None


def all_ids(client, url: str) -> list[str]:
    """Follow "Next page" to the end (a filtered Scan page may be short, or even empty)."""
    ids = []
    while url:
        html = client.get(url).content.decode()
        ids += result_ids(html)
        url = next_url(html)
    return ids


@pytest.mark.django_db
def test_the_list_page_costs_exactly_one_dynamodb_request(table, admin_client):
    with watch_calls() as calls:
        response = admin_client.get("/admin/projects/project/")
    assert response.status_code == 200
    assert calls == [("dynamodb", "Scan")]
    html = response.content.decode()
    assert len(result_ids(html)) == 25 and "Next page" in html
    for title in ("Project ID", "Status", "Current stage", "Progress", "Updated (UTC)"):
        assert f"<span>{title}</span>" in html


@pytest.mark.django_db
def test_the_next_page_link_walks_the_rest_with_one_request_each(table, admin_client):
    html = admin_client.get("/admin/projects/project/").content.decode()
    seen = result_ids(html)
    with watch_calls() as calls:
        html = admin_client.get(next_url(html)).content.decode()
    assert calls == [("dynamodb", "Scan")]
    seen += result_ids(html)
    assert len(seen) == len(set(seen)) == 33


@pytest.mark.django_db
def test_progress_column_shows_completed_of_total(table, admin_client):
    html = admin_client.get("/admin/projects/project/?q=proj_timeline").content.decode()
    assert re.search(
        r"<td>failed</td><td>prompt_engineer</td><td>1/3</td><td>"
        r'<time datetime="2025-11-23T12:10:00Z" title="2025-11-23T12:10:00Z">Nov. 23, 2025, 12:10 p.m.</time></td>',
        html,
    )
    html = admin_client.get("/admin/projects/project/?q=proj_broken").content.decode()
    assert "<td>malformed snapshot</td>" in html


@pytest.mark.django_db
def test_a_whole_id_is_one_lookup_and_part_of_one_a_search(table, admin_client):
    with watch_calls() as calls:
        html = admin_client.get("/admin/projects/project/?q=proj_new").content.decode()
    assert calls == [("dynamodb", "GetItem")] and result_ids(html) == ["proj_new"]
    assert 'id="found-by-id"' in html
    with watch_calls() as calls:
        html = admin_client.get("/admin/projects/project/?q=proj_ne").content.decode()
    assert calls == [("dynamodb", "GetItem"), ("dynamodb", "Scan")]
    assert result_ids(html) == ["proj_new"] and 'id="found-by-id"' not in html
    html = admin_client.get("/admin/projects/project/?q=proj_new&status=completed").content.decode()
    assert result_ids(html) == [] and "Nothing found." in html


@pytest.mark.django_db
def test_filter_by_status(table, admin_client):
    assert all_ids(admin_client, "/admin/projects/project/?status=failed") == ["proj_timeline"]
    assert all_ids(admin_client, "/admin/projects/project/?status=pending") == ["proj_new"]
    assert len(all_ids(admin_client, "/admin/projects/project/?status=completed")) == 30
    assert len(all_ids(admin_client, "/admin/projects/project/")) == 33


@pytest.mark.django_db
def test_a_forged_cursor_is_a_400_admin_page(table, admin_client):
    response = admin_client.get("/admin/projects/project/?cursor=forged")
    assert response.status_code == 400 and "cursor is invalid" in response.content.decode()


@pytest.mark.django_db
def test_the_detail_page_draws_the_timeline_and_the_stages(table, admin_client):
    with watch_calls() as calls:
        response = admin_client.get("/admin/projects/project/proj_timeline/change/")
    assert response.status_code == 200 and calls == [("dynamodb", "GetItem")]
    html = response.content.decode()
    svg = re.search(r"<svg class=\"project-timeline\".*?</svg>", html, re.S).group(0)
    assert svg.count('class="stage-row"') == 3 and svg.count('class="bar"') == 2
    assert "1. 需求分析" in svg and "4m 10s" in svg and "5m 50s" in svg and "not started" in svg
    assert 'fill="#2e7d32"' in svg and 'fill="#c62828"' in svg  # completed green, failed red
    legend = re.search(r'<g class="legend">(.*?)</g>', svg, re.S).group(1)
    assert ">completed<" in legend and ">failed<" in legend and ">pending<" in legend
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = unescape(html)
    assert "docs/requirements.md" in text and "analysis started" in text
    assert '{"level": "info", "message": "done"}' in text and "model timeout" in text
    assert "<summary>Artifacts (1)</summary>" in html and "<summary>Logs (2)</summary>" in html
    assert "JSON string" in html and '"project_id": "proj_timeline"' in text  # the raw item
    assert "malformed" not in html


@pytest.mark.django_db
def test_a_malformed_snapshot_shows_a_banner_not_an_error(table, admin_client):
    response = admin_client.get("/admin/projects/project/proj_broken/change/")
    assert response.status_code == 200
    html = response.content.decode()
    banner = re.search(r'<div class="gateway-banner" role="alert" id="snapshot-error">(.*?)</div>', html, re.S)
    assert "The stages_snapshot is malformed" in banner.group(1) and "invalid JSON" in banner.group(1)
    stored = re.search(r'<div class="module gateway-section" id="stored-snapshot">.*?<pre[^>]*>(.*?)</pre>', html, re.S)
    assert unescape(stored.group(1)) == '{"stages": [tru' and "project-timeline" not in html


@pytest.mark.django_db
def test_a_project_without_snapshot_says_so(table, admin_client):
    html = admin_client.get("/admin/projects/project/proj_new/change/").content.decode()
    assert "has no stages_snapshot yet" in html and "project-timeline" not in html


@pytest.mark.django_db
def test_an_unknown_project_redirects_to_the_list_with_a_message(table, admin_client):
    response = admin_client.get("/admin/projects/project/proj_nope/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert "doesn’t exist" in response.content.decode()


@pytest.mark.django_db
def test_view_permission_is_enough_to_read(table, client, make_user):
    client.force_login(make_user("viewer", perms=["projects.view_project"]))
    assert client.get("/admin/projects/project/proj_timeline/change/").status_code == 200
    assert client.get("/admin/projects/project/").status_code == 200


@pytest.mark.django_db
def test_a_missing_table_is_a_503_admin_page(aws, admin_client):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    response = admin_client.get("/admin/projects/project/")
    assert response.status_code == 503
    html = response.content.decode()
    assert settings.DYNAMODB_PROJECTS_TABLE in html and "bootstrap_aws" in html and "Traceback" not in html
