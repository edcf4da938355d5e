"""A PATCH that offloads steps answers with them without downloading what it has just uploaded,
and answers exactly what a later GET reads from S3."""

import json

import pytest
from rest_framework.test import APIClient

from core.dynamo.connection import watch_calls
from jobs.gateway import JobGateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(aws, make_user):
    client = APIClient()
    client.force_authenticate(make_user("worker", perms=["jobs.view_job", "jobs.change_job"]))
    return client


def test_offloading_patch_costs_a_read_an_upload_and_an_update_and_answers_as_a_get(api):
    JobGateway().table.put_item(Item={"job_id": "j1", "status": "running"})
    steps = [
        {"step_order": n, "output": "x" * 100_000, "usage_info": {"cost_usd": 2.0, "ratio": 0.25}} for n in range(4)
    ]
    with watch_calls() as calls:
        response = api.patch("/api/jobs/j1/", json.dumps({"execution_steps": steps}), content_type="application/json")
    assert response.status_code == 200
    assert calls == [("dynamodb", "GetItem"), ("s3", "PutObject"), ("dynamodb", "UpdateItem")]
    answered = response.json()
    assert answered["execution_steps_location"] == "s3"
    assert answered["execution_steps"][0]["usage_info"] == {"cost_usd": 2, "ratio": 0.25}  # as DynamoDB numbers read
    assert answered == api.get("/api/jobs/j1/").json()
