"""The conditional writes under the admin's forms, against moto: a write given what its caller read
holds only while the attributes it writes are still as read, and loses nobody's update."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.http import QueryDict

from artifacts.forms import ArtifactForm, artifact_values
from artifacts.services import ArtifactContent, artifact_create, artifact_get, artifact_replace
from core.admin_forms import CONFLICT, SAVED, sign_shown, submit
from core.dynamo.connection import dynamodb_table
from core.errors import ChangedMeanwhile, NotFound
from jobs.services import job_get, job_update
from projects.forms import ProjectProgressForm, progress_values
from projects.gateway import ProjectsGateway
from projects.services import project_update


@pytest.fixture
def projects(aws):
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    table.put_item(Item={"project_id": "p", "status": "running", "progress": Decimal(10)})
    return table


def stored(table, key) -> dict:
    return table.get_item(Key=key, ConsistentRead=True)["Item"]


def test_a_project_write_given_what_was_read_refuses_a_changed_attribute(projects):
    read = ProjectsGateway().get("p", consistent=True).item
    projects.update_item(
        Key={"project_id": "p"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": 20}
    )
    with pytest.raises(ChangedMeanwhile):
        project_update(project_id="p", changes={"progress": 30}, read=read)
    assert stored(projects, {"project_id": "p"})["progress"] == 20
    # An attribute the write does not touch may change meanwhile; an absent one must stay absent.
    record = project_update(project_id="p", changes={"status": "failed"}, read=read)
    assert record.item["status"] == "failed" and record.item["progress"] == 20
    projects.update_item(
        Key={"project_id": "p"},
        UpdateExpression="SET #e = :e",
        ExpressionAttributeNames={"#e": "error"},
        ExpressionAttributeValues={":e": "x"},
    )
    with pytest.raises(ChangedMeanwhile):
        project_update(project_id="p", changes={"error": "mine"}, read=read)
    assert stored(projects, {"project_id": "p"})["error"] == "x"


def test_a_project_write_given_what_was_read_still_says_a_missing_project_is_missing(projects):
    with pytest.raises(NotFound):
        project_update(project_id="nope", changes={"status": "x"}, read={"status": "running"})


def test_a_job_write_given_what_was_read_refuses_a_changed_attribute(aws):
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    table.put_item(Item={"job_id": "j", "status": "running", "execution_steps": [{"step_name": "a"}]})
    read = job_get(job_id="j").item
    table.update_item(
        Key={"job_id": "j"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "completed"},
    )
    with pytest.raises(ChangedMeanwhile):
        job_update(job_id="j", attributes={"status": "failed"}, read=read)
    assert stored(table, {"job_id": "j"})["status"] == "completed"
    assert job_update(job_id="j", attributes={"progress": 5}, read=read).item["progress"] == 5


def test_a_writer_between_the_forms_read_and_its_write_is_caught_by_the_condition(projects):
    """The form's fresh read still matches what it showed; the pipeline writes right after that
    read; DynamoDB's condition refuses the form's write, and the form shows the new value."""
    shown = progress_values(stored(projects, {"project_id": "p"}))
    data = QueryDict(mutable=True)
    data.update({**shown, "shown": sign_shown(shown), "progress": "75"})
    reads = []

    def load():
        record = ProjectsGateway().get("p", consistent=True)
        if not reads:
            projects.update_item(
                Key={"project_id": "p"}, UpdateExpression="SET progress = :p", ExpressionAttributeValues={":p": 60}
            )
        reads.append(record)
        return record, progress_values(record.item)

    def write(record, form):
        return project_update(project_id="p", changes=form.changes(), read=record.item)

    submission = submit(data, ProjectProgressForm, load=load, write=write)
    assert submission.outcome == CONFLICT and len(reads) == 2
    assert [(row.current, row.submitted) for row in submission.conflicts] == [("60", "75")]
    assert stored(projects, {"project_id": "p"})["progress"] == 60
    assert submission.form["shown"].value() != data["shown"]  # now judged against 60
    again = submit(submission.form.data, ProjectProgressForm, load=load, write=write)
    assert again.outcome == SAVED and stored(projects, {"project_id": "p"})["progress"] == 75


def test_an_artifact_replace_built_from_what_it_read_keeps_another_writers_scores(aws):
    model = artifact_create(
        content=ArtifactContent(artifact_type="model", name="m", url="https://e.com/m", rating={"net_score": 0.5})
    )
    shown = artifact_values(artifact_get(artifact_id=model.artifact_id))
    data = QueryDict(mutable=True)
    data.update({**shown, "shown": sign_shown(shown), "score_bus_factor": "0.9"})
    form = ArtifactForm(data, current=shown)
    assert form.is_valid() and form.edited == ["score_bus_factor"]
    # The rater updates another score after the form was read.
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).update_item(
        Key={"artifact_id": model.artifact_id},
        UpdateExpression="SET rating = :r",
        ExpressionAttributeValues={":r": json.dumps({"net_score": 0.7})},
    )

    def content(current):
        form.check_still_shown(artifact_values(current))
        return form.content(current)

    replaced = artifact_replace(artifact_id=model.artifact_id, content=content)
    assert replaced.rating == {"net_score": Decimal("0.7"), "bus_factor": Decimal("0.9")}
    # A change to the score the form edits is refused.
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).update_item(
        Key={"artifact_id": model.artifact_id},
        UpdateExpression="SET rating = :r",
        ExpressionAttributeValues={":r": json.dumps({"net_score": 0.7, "bus_factor": 0.1})},
    )
    with pytest.raises(ChangedMeanwhile):
        artifact_replace(artifact_id=model.artifact_id, content=content)
    assert artifact_get(artifact_id=model.artifact_id).rating == {
        "net_score": Decimal("0.7"),
        "bus_factor": Decimal("0.1"),
    }


def test_a_form_replaces_a_value_of_any_stored_type(projects, client, superuser):
    """The condition names the value as read, whatever its type (binary, a set, a map)."""
    from boto3.dynamodb.types import Binary

    projects.update_item(
        Key={"project_id": "p"},
        UpdateExpression="SET #s = :s, current_stage = :c, #n = :n",
        ExpressionAttributeNames={"#s": "status", "#n": "name"},
        ExpressionAttributeValues={":s": Binary(b"\xff\x00"), ":c": {"a", "b"}, ":n": {"nested": [Decimal(1)]}},
    )
    client.force_login(superuser)
    shown = progress_values(stored(projects, {"project_id": "p"}))
    form = {**shown, "shown": sign_shown(shown), "status": "running", "current_stage": "build", "name": "Calc"}
    assert client.post("/admin/projects/project/p/change/", form).status_code == 302
    item = stored(projects, {"project_id": "p"})
    assert (item["status"], item["current_stage"], item["name"]) == ("running", "build", "Calc")
