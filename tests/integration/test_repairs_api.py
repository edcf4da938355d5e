"""The repairs API: the latest scan's findings (no AWS request), background scans started and
followed, filters and permissions."""

import json

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import watch_calls
from jobs.models import Scan
from tests.integration.test_repairs_scan import World
from tests.integration.test_repairs_scans import run_worker_until_idle, scan_now

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]
URL = "/api/repairs/"


@pytest.fixture
def world(aws):
    world = World()
    world.plant_each_kind()
    return world


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_before_any_scan_there_are_no_findings_and_no_scan(world, make_user):
    body = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"])).get(URL).json()
    assert body == {"findings": [], "repaired": 0, "scan": None}


def test_the_body_is_the_latest_command_json_with_its_scan_and_no_aws_request(world, make_user, capsys):
    call_command("repair_stale_keys", "--json")
    printed = json.loads(capsys.readouterr().out)
    with watch_calls() as calls:
        response = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"])).get(URL)
    assert response.status_code == 200 and calls == []
    body = response.json()
    scan = Scan.objects.get()
    assert body["scan"] == {
        "id": scan.pk,
        "status": "done",
        "started_at": body["scan"]["started_at"],
        "finished_at": body["scan"]["finished_at"],
        "items_scanned": 6,
        "segments": 1,
    }
    del body["scan"]
    assert body == printed and body["repaired"] == 0
    assert [(f["kind"], f["job_id"]) for f in body["findings"]] == [
        ("both_present", "both"),
        ("dangling_key", "dangling"),
        ("orphan_object", "orphan"),
        ("oversize_inline", "oversize"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_scan_started_from_the_api_runs_on_a_worker_and_becomes_the_latest(world, make_user):
    client = api(make_user("repairer", perms=["jobs.change_job"]))
    started = client.post("/api/repairs/scans/", {}, format="json")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    location = started["Location"]
    assert location == f"/api/repairs/scans/{started.json()['id']}/"
    assert client.get(location).json()["segments_done"] == 0
    assert client.get(URL).json()["scan"] is None  # nothing completed yet
    run_worker_until_idle()
    done = client.get(location).json()
    assert done["status"] == "done" and done["findings_count"] == 4 and done["segments_done"] == done["segments"]
    assert done["items_scanned"] == 6 and done["requests"] == done["segments"]
    assert done["objects_listed"] == 4 and done["list_requests"] == 1
    assert client.get(URL).json()["scan"]["id"] == started.json()["id"]


def test_scan_routes_refuse_what_they_do_not_take(world, make_user):
    client = api(make_user("repairer", perms=["jobs.change_job"]))
    assert client.get("/api/repairs/scans/999/").status_code == 404
    assert client.get("/api/repairs/scans/").status_code == 405
    listed = client.post("/api/repairs/scans/", [1, 2], format="json")
    assert listed.status_code == 400 and not Scan.objects.exists()
    text = client.post("/api/repairs/scans/", "x", content_type="text/plain")
    assert text.status_code == 415 and not Scan.objects.exists()
    viewer = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"]))
    assert viewer.post("/api/repairs/scans/", {}, format="json").status_code == 403


def test_kind_filter(world, make_user):
    scan_now()
    client = api(make_user("viewer", perms=["jobs.view_job"]))
    body = client.get(URL, {"kind": ["oversize_inline", "dangling_key"]}).json()
    assert [(f["kind"], f["job_id"], f["s3_key"]) for f in body["findings"]] == [
        ("dangling_key", "dangling", "jobs/dangling/execution_steps.json"),
        ("oversize_inline", "oversize", None),
    ]
    bad = client.get(URL, {"kind": "everything"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "kind" in bad.json()["errors"]


def test_permissions(world, make_user):
    assert api().get(URL).status_code == 401
    assert api(make_user("plain")).get(URL).status_code == 403
    assert api(make_user("not-staff", perms=["jobs.view_stalekeyrepair"], staff=False)).get(URL).status_code == 403
    repairer = api(make_user("repairer", perms=["jobs.change_job"]))
    assert repairer.get(URL).status_code == 200
    assert repairer.post(URL, {}).status_code == 405  # the API only reports


def test_findings_are_served_while_aws_is_down(world, make_user, settings):
    scan_now()
    settings.AWS_ENDPOINT_URL_DYNAMODB = settings.AWS_ENDPOINT_URL_S3 = "http://127.0.0.1:9"
    response = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"])).get(URL)
    assert response.status_code == 200 and len(response.json()["findings"]) == 4
