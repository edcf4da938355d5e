"""Who may do what: every API route and method, and every admin page, for six kinds of user.

The expected answers come from the tables below (what CONTRACT.md and Django's admin promise),
not from the permission code. A refused request must also change nothing in DynamoDB or S3.
"""

import json
import uuid

import pytest
from django.conf import settings
from django.contrib.admin.utils import quote
from django.test import Client
from moto import mock_aws
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from artifacts.services import ArtifactContent, artifact_create
from core import bootstrap
from core.dynamo.connection import dynamodb_table
from core.storage import s3_storage
from core.tables import TABLES
from jobs.repairs.scans import scan_create, scan_run_here
from jobs.steps_store import steps_key

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

OK, LOGIN = "ok", "login"

# The permissions that stand for each resource's view and change rights.
RESOURCE_PERMISSIONS = {
    "projects": {"view": "projects.view_project", "change": "projects.change_project"},
    "jobs": {"view": "jobs.view_job", "change": "jobs.change_job"},
    "artifacts": {"view": "artifacts.view_artifact", "change": "artifacts.change_artifact"},
    "repairs": {"view": "jobs.view_stalekeyrepair", "change": "jobs.change_job"},
}
USER_KINDS = ("anonymous", "non_staff", "staff_none", "staff_view", "staff_change", "superuser")

# CONTRACT.md section 4: reads need view (change includes it, as in the admin), writes need change.
API_EXPECTED = {
    "anonymous": {"read": 401, "write": 401},
    "non_staff": {"read": 403, "write": 403},
    "staff_none": {"read": 403, "write": 403},
    "staff_view": {"read": OK, "write": 403},
    "staff_change": {"read": OK, "write": OK},
    "superuser": {"read": OK, "write": OK},
}
# Django's admin: non-staff are sent to the login page; deleting needs the delete permission;
# repairs need the jobs change permission.
ADMIN_EXPECTED = {
    "anonymous": {"view": LOGIN, "delete": LOGIN, "repair": LOGIN},
    "non_staff": {"view": LOGIN, "delete": LOGIN, "repair": LOGIN},
    "staff_none": {"view": 403, "delete": 403, "repair": 403},
    "staff_view": {"view": OK, "delete": 403, "repair": 403},
    "staff_change": {"view": OK, "delete": 403, "repair": OK},
    "superuser": {"view": OK, "delete": OK, "repair": OK},
}

# (resource, method, url, body, status when allowed); {artifact} is a fresh artifact's id.
API_ROUTES = [
    ("projects", "get", "/api/projects/", None, 200),
    ("projects", "get", "/api/projects/proj-1/", None, 200),
    ("projects", "patch", "/api/projects/proj-1/", {"current_stage": "build"}, 200),
    ("projects", "patch", "/api/projects/proj-1/stages/build/", {"logs": ["checked"]}, 200),
    ("projects", "put", "/api/projects/proj-1/stages/build/artifacts/", {"artifacts": ["out/app.zip"]}, 200),
    ("jobs", "get", "/api/jobs/", None, 200),
    ("jobs", "get", "/api/jobs/job-1/", None, 200),
    ("jobs", "patch", "/api/jobs/job-1/", {"status": "running"}, 200),
    ("artifacts", "get", "/api/artifacts/", None, 200),
    ("artifacts", "post", "/api/artifacts/", "new", 201),
    ("artifacts", "get", "/api/artifacts/{artifact}/", None, 200),
    ("artifacts", "put", "/api/artifacts/{artifact}/", "same", 200),
    ("artifacts", "delete", "/api/artifacts/{artifact}/", None, 204),
    ("repairs", "get", "/api/repairs/", None, 200),
    ("repairs", "post", "/api/repairs/scans/", {}, 202),
    ("repairs", "get", "/api/repairs/scans/{scan}/", None, 200),
]
ARTIFACTS_ADMIN = "/admin/artifacts/artifact/"
REPAIRS_ADMIN = "/admin/jobs/stalekeyrepair/"
# (resource, right, method, url, form, status when allowed)
ADMIN_PAGES = [
    ("projects", "view", "get", "/admin/projects/project/", None, 200),
    ("projects", "view", "get", "/admin/projects/project/proj-1/change/", None, 200),
    ("projects", "view", "get", "/admin/projects/project/proj-1/history/", None, 200),
    ("jobs", "view", "get", "/admin/jobs/job/", None, 200),
    ("jobs", "view", "get", "/admin/jobs/job/job-1/change/", None, 200),
    ("jobs", "view", "get", "/admin/jobs/job/job-1/history/", None, 200),
    ("artifacts", "view", "get", ARTIFACTS_ADMIN, None, 200),
    ("artifacts", "view", "get", ARTIFACTS_ADMIN + "{artifact}/change/", None, 200),
    ("artifacts", "view", "get", ARTIFACTS_ADMIN + "{artifact}/history/", None, 200),
    ("artifacts", "delete", "get", ARTIFACTS_ADMIN + "{artifact}/delete/", None, 200),
    ("artifacts", "delete", "post", ARTIFACTS_ADMIN + "{artifact}/delete/", {"post": "yes"}, 302),
    ("repairs", "view", "get", "/admin/jobs/stalekeyrepair/", None, 200),
    ("repairs", "repair", "post", "/admin/jobs/stalekeyrepair/repair/", {"scope": "kind:dangling_key"}, 200),
    ("repairs", "repair", "post", "/admin/jobs/stalekeyrepair/scan/", {}, 302),
    ("repairs", "view", "get", "/admin/jobs/stalekeyrepair/scans/{scan}/", None, 200),
    ("projects", "view", "get", ARTIFACTS_ADMIN + "stage-artifacts/", None, 200),  # project data
]


@pytest.fixture(scope="module")
def aws_world():
    """One moto world for the module; each test acts on its own fresh artifact where it writes."""
    with mock_aws():
        bootstrap.ensure()
        snapshot = {"total": 1, "completed": 0, "stages": [{"stage": "build", "status": "running"}]}
        dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
            Item={"project_id": "proj-1", "status": "running", "stages_snapshot": json.dumps(snapshot)}
        )
        jobs = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
        jobs.put_item(Item={"job_id": "job-1", "status": "running", "execution_steps": [{"step_name": "plan"}]})
        jobs.put_item(Item={"job_id": "lost", "status": "done", "execution_steps_s3_key": steps_key("lost")})
        yield


def new_url() -> str:
    return f"https://example.com/models/{uuid.uuid4().hex}"


def fresh_artifact(url: str) -> str:
    return artifact_create(content=ArtifactContent(artifact_type="model", name="Model", url=url)).artifact_id


def queued_scan() -> int:
    return scan_create(origin="api").pk


def aws_state() -> str:
    """Everything in the three tables and the bucket."""
    items = {spec.name: dynamodb_table(spec.name).scan()["Items"] for spec in TABLES}
    client = s3_storage().s3_client()
    objects = client.list_object_versions(Bucket=settings.AWS_STORAGE_BUCKET_NAME).get("Versions", [])
    state = {"items": items, "objects": sorted((o["Key"], o["VersionId"]) for o in objects)}
    return json.dumps(state, sort_keys=True, default=str)


def user_of(kind: str, resource: str, make_user):
    rights = RESOURCE_PERMISSIONS[resource]
    return {
        "anonymous": lambda: None,
        "non_staff": lambda: make_user("outsider", staff=False, perms=rights.values()),
        "staff_none": lambda: make_user("clerk"),
        "staff_view": lambda: make_user("viewer", perms=[rights["view"]]),
        "staff_change": lambda: make_user("editor", perms=[rights["change"]]),
        "superuser": lambda: make_user("root", superuser=True),
    }[kind]()


@pytest.mark.parametrize("kind", USER_KINDS)
@pytest.mark.parametrize("resource, method, url, body, allowed", API_ROUTES, ids=[f"{r[1]} {r[2]}" for r in API_ROUTES])
def test_api(aws_world, make_user, kind, resource, method, url, body, allowed):
    artifact_url = new_url()
    url = url.format(artifact=fresh_artifact(artifact_url), scan=queued_scan())
    if body in ("new", "same"):  # a new registration, or a replace that keeps the url
        body = {"artifact_type": "model", "name": "Renamed", "url": new_url() if body == "new" else artifact_url}
    user = user_of(kind, resource, make_user)
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    before = aws_state()
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    expected = API_EXPECTED[kind]["read" if method == "get" else "write"]
    if expected == OK:
        assert response.status_code == allowed, response.content
    else:
        assert response.status_code == expected, response.content
        assert set(response.json()) == {"detail", "code"}
        assert aws_state() == before


@pytest.mark.parametrize("kind", USER_KINDS)
@pytest.mark.parametrize(
    "resource, right, method, url, form, allowed", ADMIN_PAGES, ids=[f"{p[2]} {p[3]}" for p in ADMIN_PAGES]
)
def test_admin(aws_world, make_user, kind, resource, right, method, url, form, allowed):
    url = url.format(artifact=quote(fresh_artifact(new_url())), scan=queued_scan())
    if resource == "repairs":
        scan_run_here(scan_create(origin="command", segments=1))  # findings to offer for repair
    user = user_of(kind, resource, make_user)
    client = Client()
    if user is not None:
        client.force_login(user)
    before = aws_state()
    response = client.post(url, form) if method == "post" else client.get(url)
    expected = ADMIN_EXPECTED[kind][right]
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")
    elif expected == OK:
        assert response.status_code == allowed
        if allowed == 302:
            assert response["Location"] == (REPAIRS_ADMIN if resource == "repairs" else ARTIFACTS_ADMIN)
    else:
        assert response.status_code == expected
    if expected != OK:
        assert aws_state() == before
