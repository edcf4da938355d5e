"""The registry and stage artifacts in the admin, through Django's test client against moto."""

import json

import pytest
from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import quote
from django.test import Client

from artifacts.admin import ArtifactAdmin
from artifacts.gateway import ArtifactGateway
from artifacts.models import Artifact
from artifacts.services import ArtifactContent, artifact_create
from core.dynamo.connection import dynamodb_table, watch_calls
from tests.integration.artifacts_support import MODEL_RATING, dynamodb_requests, upstream_item

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]

LIST = "/admin/artifacts/artifact/"
STAGES = "/admin/artifacts/artifact/stage-artifacts/"

pytest_plugins = ["tests.integration.artifacts_support"]  # its fixtures


def page_of(artifact_id: str, action: str = "change") -> str:
    return f"{LIST}{quote(artifact_id)}/{action}/"


@pytest.fixture
def models(artifacts_table):
    """A dataset, code, a rated model linked to both, and an upstream model with a broken rating."""
    dataset = artifact_create(
        content=ArtifactContent(artifact_type="dataset", name="SQuAD", url="https://huggingface.co/datasets/squad")
    )
    code = artifact_create(
        content=ArtifactContent(
            artifact_type="code", name="google-research/bert", url="https://github.com/google-research/bert"
        )
    )
    model = artifact_create(
        content=ArtifactContent(
            artifact_type="model",
            name="BERT base uncased",
            url="https://huggingface.co/bert-base-uncased",
            rating=MODEL_RATING,
            dataset_id=dataset.artifact_id,
            code_id=code.artifact_id,
        )
    )
    artifacts_table.put_item(Item=upstream_item("broken", name="Audience classifier", rating='{"net_score": 0.4, "bus'))
    return {"dataset": dataset, "code": code, "model": model}


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def test_the_list_shows_names_types_urls_and_net_scores_in_one_request(models, staff):
    ArtifactGateway().active_indexes()
    with watch_calls() as calls:
        html = staff.get(LIST).content.decode()
    assert calls == [("dynamodb", "Scan")]
    for name in ("SQuAD", "google-research/bert", "BERT base uncased", "Audience classifier"):
        assert name in html
    assert "<td>0.80</td>" in html
    assert '<span class="artifact-url">https:/<wbr>/<wbr>github.com/<wbr>google-research/<wbr>bert</span>' in html
    assert "invalid rating" in html  # the broken rating is an error value, the page still renders
    assert 'href="/admin/artifacts/artifact/stage-artifacts/"' in html


def test_filter_by_type_search_by_name_or_url(models, staff):
    ArtifactGateway().active_indexes()
    with watch_calls() as calls:
        models_only = staff.get(LIST, {"artifact_type": "model"}).content.decode()
    assert calls == [("dynamodb", "Query")]
    assert "BERT base uncased" in models_only and "SQuAD" not in models_only

    found = staff.get(LIST, {"q": "Bert_Base"}).content.decode()
    assert "BERT base uncased" in found and "google-research/bert" not in found
    by_url = staff.get(LIST, {"q": "https://github.com/google-research/bert"}).content.decode()
    assert "google-research/bert" in by_url and "BERT base uncased" not in by_url
    refused = staff.get(LIST, {"q": "!!!"})
    assert refused.status_code == 400 and "letter or a digit" in refused.content.decode()


def test_cursor_paging(models, staff, monkeypatch):
    monkeypatch.setattr(ArtifactAdmin, "list_per_page", 1)
    seen, url = [], LIST
    while url:
        response = staff.get(url)
        html = response.content.decode()
        seen += [record.name for record in models.values() if f">{record.name}</a>" in html]
        next_link = response.context["next_url"]
        url = LIST + next_link if next_link else None
    assert sorted(seen) == sorted(record.name for record in models.values())
    tampered = staff.get(LIST, {"cursor": "forged"})
    assert tampered.status_code == 400


def test_the_detail_shows_fields_rating_table_and_links(models, staff):
    model = models["model"]
    with watch_calls() as calls:
        response = staff.get(page_of(model.artifact_id, "change"))
    assert response.status_code == 200
    assert calls == [("dynamodb", "GetItem"), ("dynamodb", "BatchGetItem")]
    html = response.content.decode()
    assert "BERT base uncased" in html and "bert-base-uncased" in html
    assert '<th scope="row">Net score</th>' in html and '<meter min="0" max="1" value="0.8">' in html
    assert '<th scope="row">Bus factor</th>' in html and "0.01" in html  # its latency
    assert '<th scope="row">raspberry pi</th>' in html
    assert f'href="{page_of(models["dataset"].artifact_id)}">SQuAD</a>' in html
    assert f'href="{page_of(models["code"].artifact_id)}">google-research/bert</a>' in html
    assert 'class="deletelink"' in html


def test_a_broken_rating_and_a_dangling_link_are_shown(models, artifacts_table, staff):
    artifacts_table.update_item(
        Key={"artifact_id": "broken"},
        UpdateExpression="SET dataset_id = :d, dataset_name = :n",
        ExpressionAttributeValues={":d": "gone", ":n": "Deleted dataset"},
    )
    html = staff.get(page_of("broken")).content.decode()
    assert "The stored rating cannot be read: invalid JSON" in html
    assert "{&quot;net_score&quot;: 0.4, &quot;bus" in html  # the stored text, escaped
    assert "Deleted dataset" in html and "not in the registry" in html


def test_a_javascript_url_is_not_a_link(artifacts_table, staff):
    artifacts_table.put_item(Item=upstream_item("evil", url="javascript:alert(1)"))
    html = staff.get(page_of("evil")).content.decode()
    assert "javascript:alert(1)" in html and 'href="javascript' not in html


def test_an_unknown_id_redirects_with_a_message(artifacts_table, staff):
    response = staff.get(page_of("nope"), follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert "doesn’t exist" in response.content.decode()


def test_delete_asks_then_deletes_and_logs(models, staff, superuser, artifacts_table):
    model = models["model"]
    confirm = staff.get(page_of(model.artifact_id, "delete"))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Are you sure you want to delete the model “BERT base uncased”?" in html and "csrfmiddlewaretoken" in html
    assert artifacts_table.get_item(Key={"artifact_id": model.artifact_id}).get("Item")

    done = staff.post(page_of(model.artifact_id, "delete"), follow=True)
    assert done.redirect_chain[-1][0] == LIST
    assert "The artifact “BERT base uncased” was deleted." in done.content.decode()
    assert "Item" not in artifacts_table.get_item(Key={"artifact_id": model.artifact_id})
    entry = LogEntry.objects.get(object_id=model.artifact_id)
    assert entry.action_flag == DELETION and entry.user == superuser
    assert entry.content_type.model_class() is Artifact and "BERT base uncased" in entry.change_message
    assert "BERT base uncased" not in staff.get(LIST).content.decode()

    again = staff.post(page_of(model.artifact_id, "delete"), follow=True)
    assert "doesn’t exist" in again.content.decode()


def test_delete_needs_the_delete_permission_and_a_csrf_token(models, make_user, artifacts_table):
    model = models["model"]
    viewer = Client()
    viewer.force_login(make_user("viewer", perms=["artifacts.view_artifact", "artifacts.change_artifact"]))
    assert 'class="deletelink"' not in viewer.get(page_of(model.artifact_id, "change")).content.decode()
    assert viewer.get(page_of(model.artifact_id, "delete")).status_code == 403
    assert viewer.post(page_of(model.artifact_id, "delete")).status_code == 403

    deleter = Client(enforce_csrf_checks=True)
    deleter.force_login(make_user("deleter", perms=["artifacts.view_artifact", "artifacts.delete_artifact"]))
    assert deleter.post(page_of(model.artifact_id, "delete")).status_code == 403  # no CSRF token
    assert artifacts_table.get_item(Key={"artifact_id": model.artifact_id}).get("Item")
    assert not LogEntry.objects.exists()


def projects_table():
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)


def snapshot(*stages) -> dict:
    return {"total": len(stages), "completed": 0, "stages": list(stages)}


def stage(name, status, *paths, display=None) -> dict:
    return {"stage": name, "stage_name": display or name, "status": status, "output_data": {"artifacts": list(paths)}}


def test_stage_artifacts_lists_every_projects_files_in_one_scan(artifacts_table, staff):
    table = projects_table()
    table.put_item(
        Item={
            "project_id": "proj_string",
            "status": "building",
            "requirement": "x" * 5000,
            "stages_snapshot": json.dumps(
                snapshot(stage("prompt_engineer", "completed", "prompts/math.yaml", display="提示词工程")),
                ensure_ascii=False,
            ),
        }
    )
    table.put_item(
        Item={
            "project_id": "proj_map",
            "stages_snapshot": snapshot(stage("agent_designer", "failed", "design/agent.md")),
        }
    )
    table.put_item(Item={"project_id": "proj_broken", "stages_snapshot": '{"stages": [{"stage"'})
    table.put_item(Item={"project_id": "proj_empty"})
    with watch_calls() as calls:
        response = staff.get(STAGES)
    assert calls == [("dynamodb", "Scan")]
    html = response.content.decode()
    assert "prompts/math.yaml" in html and "提示词工程" in html and "prompt_engineer" in html
    assert "design/agent.md" in html and '<span class="gateway-badge failed">failed</span>' in html
    assert "stages_snapshot: invalid JSON" in html
    assert 'href="/admin/projects/project/proj_5Fstring/change/"' in html  # links to the project's page
    assert "proj_empty" not in html


def test_stage_artifacts_reads_only_the_snapshot(artifacts_table, staff):
    projects_table().put_item(Item={"project_id": "p1", "stages_snapshot": snapshot(stage("s", "running", "a.txt"))})
    with dynamodb_requests() as requests:
        staff.get(STAGES)
    assert requests == [("Scan", settings.DYNAMODB_PROJECTS_TABLE, None)]


def test_stage_artifacts_pages_with_cursors(artifacts_table, staff, monkeypatch):
    monkeypatch.setattr(ArtifactAdmin, "list_per_page", 2)
    for number in range(5):
        projects_table().put_item(
            Item={
                "project_id": f"p{number}",
                "stages_snapshot": snapshot(stage("s", "completed", f"file-{number}.txt")),
            }
        )
    seen, url = set(), STAGES
    while url:
        response = staff.get(url)
        seen |= {f"file-{n}.txt" for n in range(5) if f"file-{n}.txt" in response.content.decode()}
        url = STAGES + response.context["next_url"] if response.context["next_url"] else None
    assert seen == {f"file-{n}.txt" for n in range(5)}


def test_stage_artifacts_need_a_projects_permission(artifacts_table, make_user):
    client = Client()
    client.force_login(make_user("artifacts_only", perms=["artifacts.view_artifact"]))
    assert client.get(STAGES).status_code == 403
    assert "stage-artifacts" not in client.get(LIST).content.decode()
    client.force_login(make_user("projects_viewer", perms=["artifacts.view_artifact", "projects.view_project"]))
    assert client.get(STAGES).status_code == 200
