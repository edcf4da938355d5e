"""`GET /api/repairs/`: the findings document, its filter and who may read it."""

import json

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.dynamo.connection import watch_calls
from tests.integration.test_repairs_scan import World

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


def test_the_body_is_the_command_json_with_nothing_repaired(world, make_user, capsys):
    with watch_calls() as calls:
        response = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"])).get(URL)
    assert response.status_code == 200 and calls == [("dynamodb", "Scan"), ("s3", "ListObjectsV2")]
    call_command("repair_stale_keys", "--json")
    assert response.json() == json.loads(capsys.readouterr().out)
    assert response.json()["repaired"] == 0
    assert [(f["kind"], f["job_id"]) for f in response.json()["findings"]] == [
        ("both_present", "both"),
        ("dangling_key", "dangling"),
        ("orphan_object", "orphan"),
    ]


def test_kind_filter(world, make_user):
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


def test_aws_down_is_503(world, make_user, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    response = api(make_user("viewer", perms=["jobs.view_stalekeyrepair"])).get(URL)
    assert response.status_code == 503 and "Cannot reach DynamoDB" in response.json()["detail"]
