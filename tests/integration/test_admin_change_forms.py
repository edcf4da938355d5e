"""The admin's change forms against moto: a form writes only the fields it changed, only while they
hold what it showed, and every write lands in History."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry

from core.admin_forms import sign_shown
from core.dynamo.connection import dynamodb_table

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]  # history: run on PostgreSQL too

PROJECT_URL = "/admin/projects/project/proj-1/change/"
STAGE_URL = "/admin/projects/project/proj-1/stages/build/"
SNAPSHOT = {
    "total": 6,
    "completed": 0,
    "stages": [
        {"stage": "plan", "status": "completed", "logs": ["planned"], "unknown": 0.12345678901234567890123},
        {"stage": "build", "status": "running", "started_at": "2025-11-23T12:00:00Z", "logs": ["started"]},
    ],
}


@pytest.fixture
def projects(aws):
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(
        Item={
            "project_id": "proj-1",
            "status": "running",
            "current_stage": "build",
            "progress": Decimal("40"),
            "requirement": "a calculator",
            "stages_snapshot": json.dumps(SNAPSHOT),
        }
    )
    return table


@pytest.fixture
def staff(client, make_user):
    user = make_user("editor", perms=["projects.view_project", "projects.change_project"])
    client.force_login(user)
    return user


def form_data(html: str, form_id: str) -> dict[str, str]:
    """The fields of one form on a page, as a browser would submit them untouched."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S).group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="submit"' not in tag:
            data[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = unescape(text).removeprefix("\n")
    for name, options in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = unescape(selected.group(1)) if selected else ""
    return data


def item(table, project_id="proj-1") -> dict:
    return table.get_item(Key={"project_id": project_id}, ConsistentRead=True)["Item"]


def history(object_id="proj-1") -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=object_id).order_by("action_time"))


def test_progress_form_writes_the_changed_fields_and_records_them(projects, client, staff):
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    assert data["status"] == "running" and data["progress"] == "40"
    response = client.post(PROJECT_URL, {**data, "status": "failed", "error": "disk full"})
    assert response.status_code == 302 and response["Location"] == PROJECT_URL
    stored = item(projects)
    assert stored["status"] == "failed" and stored["error"] == "disk full"
    assert stored["progress"] == 40 and stored["requirement"] == "a calculator"  # untouched
    [entry] = history()
    assert entry.user == staff and entry.is_change()
    assert entry.get_change_message() == "Changed status and error."


def test_an_untouched_form_writes_nothing(projects, client, staff):
    before = item(projects)
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    response = client.post(PROJECT_URL, data, follow=True)
    assert "nothing was written" in response.content.decode()
    assert item(projects) == before and history() == []


def test_a_field_changed_by_another_writer_is_not_overwritten(projects, client, staff):
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    projects.update_item(
        Key={"project_id": "proj-1"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "completed"},
    )
    response = client.post(PROJECT_URL, {**data, "status": "failed"})
    html = response.content.decode()
    assert response.status_code == 200
    assert item(projects)["status"] == "completed" and history() == []
    assert re.search(r'class="conflict-current"><code>completed</code>', html)
    assert re.search(r'class="conflict-submitted"><code>failed</code>', html)
    # Submitting the form as shown again replaces the current value knowingly.
    again = form_data(html, "progress-form")
    assert again["status"] == "failed"
    assert client.post(PROJECT_URL, again).status_code == 302
    assert item(projects)["status"] == "failed"


def test_another_writers_change_to_a_field_the_form_leaves_alone_is_kept(projects, client, staff):
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    projects.update_item(
        Key={"project_id": "proj-1"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": 55}
    )
    assert client.post(PROJECT_URL, {**data, "current_stage": "test"}).status_code == 302
    stored = item(projects)
    assert stored["progress"] == 55 and stored["current_stage"] == "test"


def test_a_tampered_shown_token_is_refused(projects, client, staff):
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    response = client.post(PROJECT_URL, {**data, "shown": data["shown"] + "x", "status": "failed"})
    assert response.status_code == 200 and "altered" in response.content.decode()
    assert item(projects)["status"] == "running"


def test_invalid_progress_is_a_form_error(projects, client, staff):
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    response = client.post(PROJECT_URL, {**data, "progress": "150"})
    assert response.status_code == 200 and "from 0 to 100" in response.content.decode()
    assert item(projects)["progress"] == 40


def test_an_odd_stored_value_left_alone_does_not_block_the_form(projects, client, staff):
    projects.update_item(
        Key={"project_id": "proj-1"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": "40%"}
    )
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    assert client.post(PROJECT_URL, {**data, "name": "Calculator"}).status_code == 302
    assert item(projects)["name"] == "Calculator" and item(projects)["progress"] == "40%"


def test_stage_form_writes_the_stage_and_a_log_line(projects, client, staff):
    data = form_data(client.get(STAGE_URL).content.decode(), "stage-form")
    response = client.post(
        STAGE_URL, {**data, "status": "completed", "completed_at": "2025-11-23T13:00:00+01:00", "log_line": "done"}
    )
    assert response.status_code == 302
    document = json.loads(item(projects)["stages_snapshot"])
    build = document["stages"][1]
    assert build["status"] == "completed" and build["completed_at"] == "2025-11-23T12:00:00Z"
    assert build["logs"] == ["started", "done"]
    assert document["stages"][0] == SNAPSHOT["stages"][0]
    [entry] = history()
    assert entry.get_change_message() == "Changed status, completed_at and logs for stage “build”."


def test_stage_form_refuses_when_the_stage_changed_meanwhile(projects, client, staff):
    data = form_data(client.get(STAGE_URL).content.decode(), "stage-form")
    changed = json.loads(json.dumps(SNAPSHOT))
    changed["stages"][1]["status"] = "failed"
    projects.update_item(
        Key={"project_id": "proj-1"},
        UpdateExpression="SET stages_snapshot = :s",
        ExpressionAttributeValues={":s": json.dumps(changed)},
    )
    response = client.post(STAGE_URL, {**data, "status": "completed"})
    assert response.status_code == 200 and "conflict-current" in response.content.decode()
    assert json.loads(item(projects)["stages_snapshot"]) == changed and history() == []


def test_stage_form_keeps_another_stages_change_made_meanwhile(projects, client, staff):
    data = form_data(client.get(STAGE_URL).content.decode(), "stage-form")
    changed = json.loads(json.dumps(SNAPSHOT))
    changed["stages"][0]["logs"].append("replanned")
    projects.update_item(
        Key={"project_id": "proj-1"},
        UpdateExpression="SET stages_snapshot = :s",
        ExpressionAttributeValues={":s": json.dumps(changed)},
    )
    assert client.post(STAGE_URL, {**data, "error": "flaky test"}).status_code == 302
    document = json.loads(item(projects)["stages_snapshot"])
    assert document["stages"][0]["logs"] == ["planned", "replanned"]
    assert document["stages"][1]["error"] == "flaky test"


def test_stage_artifacts_form_replaces_the_paths(projects, client, staff):
    data = form_data(client.get(STAGE_URL).content.decode(), "artifacts-form")
    response = client.post(STAGE_URL, {**data, "artifacts": "out/app.zip\r\n\r\n  out/report.html  \r\n"})
    assert response.status_code == 302
    build = json.loads(item(projects)["stages_snapshot"])["stages"][1]
    assert build["output_data"] == {"artifacts": ["out/app.zip", "out/report.html"]}
    assert history()[0].get_change_message() == "Changed artifacts for stage “build”."


def test_change_forms_need_the_change_permission(projects, client, make_user):
    client.force_login(make_user("viewer", perms=["projects.view_project"]))
    html = client.get(PROJECT_URL).content.decode()
    assert 'id="progress-form"' not in html and "project-stage-change" not in html
    assert client.post(PROJECT_URL, {"status": "failed", "shown": sign_shown({"status": "running"})}).status_code == 403
    assert client.get(STAGE_URL).status_code == 403
    assert item(projects)["status"] == "running"


def test_forms_need_the_csrf_token(projects, staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    data.pop("csrfmiddlewaretoken")
    assert client.post(PROJECT_URL, {**data, "status": "failed"}).status_code == 403
    assert item(projects)["status"] == "running"


JOB_URL = "/admin/jobs/job/job-1/change/"


@pytest.fixture
def jobs(aws):
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    table.put_item(
        Item={
            "job_id": "job-1",
            "status": "running",
            "progress": Decimal("10"),
            "updated_at": "2025-11-07T09:12:03.120Z",
            "execution_steps": [{"step_name": "plan"}],
        }
    )
    return table


@pytest.fixture
def job_editor(client, make_user):
    user = make_user("jobs-editor", perms=["jobs.view_job", "jobs.change_job"])
    client.force_login(user)
    return user


def test_job_form_writes_the_changed_attributes(jobs, client, job_editor):
    data = form_data(client.get(JOB_URL).content.decode(), "job-form")
    response = client.post(JOB_URL, {**data, "progress": "75", "completed_at": "2025-11-07T10:00:00Z"})
    assert response.status_code == 302
    stored = jobs.get_item(Key={"job_id": "job-1"}, ConsistentRead=True)["Item"]
    assert stored["progress"] == 75 and stored["completed_at"] == "2025-11-07T10:00:00Z"
    assert stored["execution_steps"] == [{"step_name": "plan"}] and stored["updated_at"] != "2025-11-07T09:12:03.120Z"
    [entry] = history("job-1")
    assert entry.user == job_editor and entry.get_change_message() == "Changed progress and completed_at."


def test_job_form_refuses_to_overwrite_a_workers_change(jobs, client, job_editor):
    data = form_data(client.get(JOB_URL).content.decode(), "job-form")
    jobs.update_item(
        Key={"job_id": "job-1"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": 20}
    )
    response = client.post(JOB_URL, {**data, "progress": "75"})
    assert response.status_code == 200 and "conflict-current" in response.content.decode()
    assert jobs.get_item(Key={"job_id": "job-1"}, ConsistentRead=True)["Item"]["progress"] == 20
    assert history("job-1") == []


def api_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_api_writes_are_recorded_with_the_tokens_user(projects, jobs, make_user, client):
    user = make_user("service", perms=["projects.change_project", "jobs.change_job", "artifacts.change_artifact"])
    api = api_client(user)
    assert api.patch("/api/projects/proj-1/", {"status": "failed", "progress": 50}, format="json").status_code == 200
    assert api.patch("/api/projects/proj-1/stages/build/", {"logs": ["x"]}, format="json").status_code == 200
    assert (
        api.put("/api/projects/proj-1/stages/plan/artifacts/", {"artifacts": ["a"]}, format="json").status_code == 200
    )
    assert api.patch("/api/jobs/job-1/", {"status": "completed"}, format="json").status_code == 200
    created = api.post(
        "/api/artifacts/", {"artifact_type": "model", "name": "M", "url": "https://example.com/m"}, format="json"
    ).json()
    assert api.delete(f"/api/artifacts/{created['artifact_id']}/").status_code == 204
    messages = [(entry.user.username, entry.get_change_message()) for entry in history()]
    assert messages == [
        ("service", "Changed status and progress."),
        ("service", "Changed logs for stage “build”."),
        ("service", "Changed artifacts for stage “plan”."),
    ]
    assert [entry.get_change_message() for entry in history("job-1")] == ["Changed status."]
    added, deleted = history(created["artifact_id"])
    assert added.is_addition() and deleted.is_deletion() and "“M”" in deleted.change_message
    # History is the admin's page for it.
    client.force_login(make_user("root", superuser=True))
    page = client.get("/admin/projects/project/proj-1/history/").content.decode()
    assert "Changed logs for stage “build”." in page and "service" in page


def test_a_refused_api_write_records_nothing(projects, make_user):
    api = api_client(make_user("service", perms=["projects.change_project"]))
    assert api.patch("/api/projects/proj-1/", {"progress": 500}, format="json").status_code == 400
    assert api.patch("/api/projects/nope/", {"status": "x"}, format="json").status_code == 404
    assert history() == [] and history("nope") == []


ARTIFACTS = "/admin/artifacts/artifact/"


@pytest.fixture
def registry(aws):
    from artifacts.services import ArtifactContent, artifact_create

    dataset = artifact_create(
        content=ArtifactContent(artifact_type="dataset", name="LibriSpeech ASR", url="https://example.com/d")
    )
    code = artifact_create(
        content=ArtifactContent(artifact_type="code", name="whisper-train", url="https://example.com/c")
    )
    model = artifact_create(
        content=ArtifactContent(
            artifact_type="model",
            name="Whisper tiny",
            url="https://example.com/m",
            artifact={"extra": {"kept": True}},
            rating={"net_score": 0.5, "bus_factor": 0.25, "size_score": {"raspberry_pi": 0.1}, "net_score_latency": 12},
        )
    )
    return {"dataset": dataset, "code": code, "model": model}


@pytest.fixture
def artifact_editor(client, make_user):
    user = make_user(
        "registrar",
        perms=["artifacts.view_artifact", "artifacts.add_artifact", "artifacts.change_artifact"],
    )
    client.force_login(user)
    return user


def stored_artifact(artifact_id: str) -> dict:
    return dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).get_item(Key={"artifact_id": artifact_id})["Item"]


def test_artifact_change_form_edits_scores_and_links_by_name(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    model = registry["model"]
    url = f"{ARTIFACTS}{quote(model.artifact_id)}/change/"
    data = form_data(client.get(url).content.decode(), "artifact-form")
    assert data["score_net_score"] == "0.5" and "url" in data
    response = client.post(
        url,
        {
            **data,
            "score_bus_factor": "0.75",
            "score_license": "1",
            "dataset": "librispeech asr",
            "code": "whisper-train",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item = stored_artifact(model.artifact_id)
    rating = json.loads(item["rating"])
    assert rating == {
        "net_score": 0.5,
        "bus_factor": 0.75,
        "license": 1.0,
        "size_score": {"raspberry_pi": 0.1},
        "net_score_latency": 12,
    }
    assert item["dataset_id"] == registry["dataset"].artifact_id and item["dataset_name"] == "LibriSpeech ASR"
    assert item["code_id"] == registry["code"].artifact_id
    assert item["url"] == "https://example.com/m" and json.loads(item["artifact"])["extra"] == {"kept": True}
    [entry] = history(model.artifact_id)
    assert entry.get_change_message() == "Changed dataset, code, rating.bus_factor and rating.license."


def test_artifact_change_form_refuses_when_the_rating_changed_meanwhile(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    model = registry["model"]
    url = f"{ARTIFACTS}{quote(model.artifact_id)}/change/"
    data = form_data(client.get(url).content.decode(), "artifact-form")
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).update_item(
        Key={"artifact_id": model.artifact_id},
        UpdateExpression="SET rating = :r",
        ExpressionAttributeValues={":r": json.dumps({"net_score": 0.9})},
    )
    response = client.post(url, {**data, "score_net_score": "0.1"})
    assert response.status_code == 200 and "conflict-current" in response.content.decode()
    assert json.loads(stored_artifact(model.artifact_id)["rating"]) == {"net_score": 0.9}


def test_an_unknown_link_name_is_a_form_error(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    url = f"{ARTIFACTS}{quote(registry['model'].artifact_id)}/change/"
    data = form_data(client.get(url).content.decode(), "artifact-form")
    response = client.post(url, {**data, "dataset": "no such data"})
    assert response.status_code == 200 and "No registered dataset is named" in response.content.decode()


def test_add_form_registers_an_artifact_and_refuses_a_duplicate_url(registry, client, artifact_editor):
    data = form_data(client.get(ARTIFACTS + "add/").content.decode(), "artifact-form")
    new = {
        **data,
        "name": "Tiny model",
        "artifact_type": "model",
        "url": "https://example.com/new",
        "score_net_score": "0.4",
    }
    response = client.post(ARTIFACTS + "add/", new)
    assert response.status_code == 302
    created = dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).scan(
        FilterExpression="#u = :u",
        ExpressionAttributeNames={"#u": "url"},
        ExpressionAttributeValues={":u": "https://example.com/new"},
    )["Items"]
    [item] = created
    assert json.loads(item["rating"]) == {"net_score": 0.4}
    assert history(item["artifact_id"])[0].is_addition()
    again = client.post(ARTIFACTS + "add/", {**new, "url": "https://example.com/m"})
    assert again.status_code == 200 and "already registered" in again.content.decode()


def test_add_needs_the_add_permission(registry, client, make_user):
    client.force_login(make_user("changer", perms=["artifacts.view_artifact", "artifacts.change_artifact"]))
    assert client.get(ARTIFACTS + "add/").status_code == 403
    assert "Add artifact" not in client.get(ARTIFACTS).content.decode()


def test_an_artifacts_page_is_titled_by_its_name(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    model = registry["model"]
    html = client.get(f"{ARTIFACTS}{quote(model.artifact_id)}/change/").content.decode()
    assert re.search(r"<title>Whisper tiny \|", html) and "<h1>Whisper tiny</h1>" in html
    assert re.search(r"Artifacts</a>\s*&rsaquo; Whisper tiny\s*</div>", html)
    history_page = client.get(f"{ARTIFACTS}{quote(model.artifact_id)}/history/").content.decode()
    assert "Change history: Whisper tiny" in history_page


def test_a_datasets_page_lists_the_models_that_use_it(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    from artifacts.services import ArtifactContent, artifact_create

    dataset, code = registry["dataset"], registry["code"]
    user = artifact_create(
        content=ArtifactContent(
            artifact_type="model", name="Uses it", url="https://example.com/u", dataset_id=dataset.artifact_id
        )
    )
    html = client.get(f"{ARTIFACTS}{quote(dataset.artifact_id)}/change/").content.decode()
    section = re.search(r'<div class="gateway-section" id="linked-models">.*?</div>', html, re.S).group(0)
    assert f'href="{ARTIFACTS}{quote(user.artifact_id)}/change/">Uses it</a>' in section
    assert "Whisper tiny" not in section  # it links to no dataset
    code_page = client.get(f"{ARTIFACTS}{quote(code.artifact_id)}/change/").content.decode()
    assert "No model links to it." in code_page
    model_page = client.get(f"{ARTIFACTS}{quote(registry['model'].artifact_id)}/change/").content.decode()
    assert 'id="linked-models"' not in model_page


def test_stage_artifact_paths_and_job_artifacts_are_links(aws, client, superuser):
    client.force_login(superuser)
    snapshot = {
        "stages": [
            {"stage": "build", "output_data": {"artifacts": ["out/app.zip", "https://hf.co/Org/Model"]}},
            {"stage": "ship", "output_data": {"artifacts": ["out/app.zip"]}},
        ]
    }
    projects_table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    projects_table.put_item(Item={"project_id": "p1", "stages_snapshot": json.dumps(snapshot)})
    projects_table.put_item(
        Item={"project_id": "p2", "stages_snapshot": json.dumps({"stages": [snapshot["stages"][1]]})}
    )
    projects_table.put_item(
        Item={
            "project_id": "p3",
            "stages_snapshot": json.dumps({"stages": [{"stage": "x", "output_data": {"artifacts": ["other.txt"]}}]}),
        }
    )
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(
        Item={"job_id": "j1", "status": "done", "artifacts": ["out/app.zip", "https://hf.co/Org/Model", Decimal(7)]}
    )
    path_link = "/admin/artifacts/artifact/stage-artifacts/?path=out%2Fapp.zip"
    url_link = "/admin/artifacts/artifact/?q=https%3A%2F%2Fhf.co%2FOrg%2FModel"
    project_page = unescape(client.get("/admin/projects/project/p1/change/").content.decode())
    assert f'<a href="{path_link}"><code>out/app.zip</code></a>' in project_page
    assert f'<a href="{url_link}"><code>https://hf.co/Org/Model</code></a>' in project_page
    job_page = unescape(client.get("/admin/jobs/job/j1/change/").content.decode())
    assert f'<a href="{path_link}"><code>out/app.zip</code></a>' in job_page
    assert f'<a href="{url_link}">' in job_page and "<li><code>7</code></li>" in job_page
    # The filtered page lists exactly the stages that recorded the file.
    filtered = client.get(path_link).content.decode()
    rows = re.findall(r"<tr><th><a href=\"/admin/projects/project/([^/]+)/change/\">", filtered)
    assert sorted(rows) == ["p1", "p1", "p2"]  # build and ship of p1, ship of p2
    assert "other.txt" not in filtered and 'id="path-filter"' in filtered


def test_a_job_whose_id_no_write_accepts_offers_no_form(jobs, client, job_editor):
    from django.contrib.admin.utils import quote

    jobs.put_item(Item={"job_id": "odd id", "status": "running"})
    html = client.get(f"/admin/jobs/job/{quote('odd id')}/change/").content.decode()
    assert 'id="job-form"' not in html and 'id="unchangeable"' in html and "S3 path segment" in html


def test_the_add_form_refuses_a_blank_name_or_url(registry, client, artifact_editor):
    data = form_data(client.get(ARTIFACTS + "add/").content.decode(), "artifact-form")
    response = client.post(ARTIFACTS + "add/", {**data, "artifact_type": "model"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("This field is required.") == 2
    assert len(dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).scan()["Items"]) == 3


def test_an_artifact_edit_keeps_a_rename_made_meanwhile(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    from artifacts.services import ArtifactContent, artifact_get, artifact_replace

    model = registry["model"]
    url = f"{ARTIFACTS}{quote(model.artifact_id)}/change/"
    data = form_data(client.get(url).content.decode(), "artifact-form")
    current = artifact_get(artifact_id=model.artifact_id)
    artifact_replace(
        artifact_id=model.artifact_id,
        content=ArtifactContent(
            artifact_type="model",
            name="Whisper tiny v2",
            url=current.url,
            artifact=current.artifact,
            rating=current.rating,
        ),
    )
    assert client.post(url, {**data, "score_license": "0.5"}).status_code == 302
    after = artifact_get(artifact_id=model.artifact_id)
    assert after.name == "Whisper tiny v2" and after.rating["license"] == 0.5


def test_an_artifact_of_an_unknown_type_must_be_given_a_type(registry, client, artifact_editor):
    from django.contrib.admin.utils import quote

    model = registry["model"]
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).update_item(
        Key={"artifact_id": model.artifact_id},
        UpdateExpression="SET artifact_type = :t",
        ExpressionAttributeValues={":t": "weights"},
    )
    url = f"{ARTIFACTS}{quote(model.artifact_id)}/change/"
    data = form_data(client.get(url).content.decode(), "artifact-form")
    assert data["artifact_type"] == "weights"  # shown as stored, not silently replaced
    refused = client.post(url, {**data, "score_license": "0.5"})
    assert refused.status_code == 200 and "Choose a type" in refused.content.decode()
    assert stored_artifact(model.artifact_id)["artifact_type"] == "weights"
    assert client.post(url, {**data, "artifact_type": "model", "score_license": "0.5"}).status_code == 302
    assert stored_artifact(model.artifact_id)["artifact_type"] == "model"


def test_a_write_the_service_refuses_comes_back_as_a_form_error(projects, client, staff):
    # Within the form's limits, yet too large for the item's 400 KB together with what it holds.
    projects.update_item(
        Key={"project_id": "proj-1"}, UpdateExpression="SET big = :b", ExpressionAttributeValues={":b": "x" * 403_000}
    )
    data = form_data(client.get(PROJECT_URL).content.decode(), "progress-form")
    response = client.post(PROJECT_URL, {**data, "error": "e" * 4000, "name": "n" * 256})
    html = response.content.decode()
    assert response.status_code == 200 and 'class="errorlist nonfield"' in html
    assert "e" * 4000 in html  # what was typed is still there
    assert "error" not in item(projects)
