"""Every DynamoDB request the artifact flows make names one of the contract's three tables, and
never the tables that do not exist (AgentArtifacts, BuildStages, BuildStatistics)."""

import pytest
from django.conf import settings
from django.contrib.admin.utils import quote

from artifacts import demo
from artifacts.services import artifact_id_for_url
from core.dynamo.connection import dynamodb_table, watch_calls
from tests.integration.artifacts_support import dynamodb_requests

NEVER = {"AgentArtifacts", "BuildStages", "BuildStatistics"}
URL = "https://huggingface.co/google-bert/bert-large-cased"

pytest_plugins = ["tests.integration.artifacts_support"]  # its fixtures


@pytest.mark.django_db
def test_api_admin_and_demo_flows_touch_only_the_contract_tables(any_artifacts_table, client, superuser):
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={
            "project_id": "proj_1",
            "stages_snapshot": '{"stages": [{"stage": "s", "output_data": {"artifacts": ["a"]}}]}',
        }
    )
    client.force_login(superuser)
    artifact_id = artifact_id_for_url(URL)
    detail = f"/api/artifacts/{artifact_id}/"
    body = {"artifact_type": "model", "name": "bert", "url": URL, "rating": {"net_score": 0.5}}
    with watch_calls() as calls, dynamodb_requests() as requests:
        demo.seed()
        dataset_id = artifact_id_for_url(demo.DATASETS["squad"])
        statuses = [
            client.post(
                "/api/artifacts/", {**body, "dataset_id": dataset_id}, content_type="application/json"
            ).status_code,
            client.post("/api/artifacts/", body, content_type="application/json").status_code,
            client.get("/api/artifacts/").status_code,
            client.get("/api/artifacts/?artifact_type=model&name=bert").status_code,
            client.get(f"/api/artifacts/?url={URL}").status_code,
            client.get(detail).status_code,
            client.put(detail, body, content_type="application/json").status_code,
            client.get("/admin/artifacts/artifact/").status_code,
            client.get("/admin/artifacts/artifact/?artifact_type=dataset&q=squad").status_code,
            client.get(f"/admin/artifacts/artifact/{quote(artifact_id)}/change/").status_code,
            client.get(f"/admin/artifacts/artifact/{quote(artifact_id)}/delete/").status_code,
            client.post(f"/admin/artifacts/artifact/{quote(artifact_id)}/delete/").status_code,
            client.get("/admin/artifacts/artifact/stage-artifacts/").status_code,
            client.delete(f"/api/artifacts/{artifact_id_for_url(demo.CODE['openai/whisper'])}/").status_code,
        ]
    assert statuses == [201, 409, 200, 200, 200, 200, 200, 200, 200, 200, 200, 302, 200, 204]
    assert len(requests) == len([call for call in calls if call[0] == "dynamodb"]) > 40
    tables = {table for _, table, _ in requests}
    assert tables == {settings.DYNAMODB_ARTIFACTS_TABLE, settings.DYNAMODB_PROJECTS_TABLE}
    assert not tables & NEVER
    indexes = {index for _, _, index in requests if index}
    assert indexes <= {"artifact_type-index", "url-index"}
