"""The projects gateway and services against moto: storage forms, reserved words, conditional
read-modify-write, and what bad data and missing things turn into."""

import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.conf import settings

from core.dynamo.connection import dynamodb_table, watch_calls
from core.errors import Conflict, InvalidCursor, InvalidInput, ItemTooLarge, NotFound
from projects import gateway as gateway_module
from projects import services
from projects.gateway import ProjectsGateway
from projects.snapshot import MalformedSnapshot

# A snapshot as the pipeline writes it; the admin, API and browser tests build on it too.
SNAPSHOT = {
    "total": 3,
    "completed": 1,
    "schema": 2,  # unknown fields at every level must survive our writes
    "stages": [
        {
            "stage": "requirements_analyzer",
            "stage_number": 1,
            "stage_name": "需求分析",
            "status": "completed",
            "started_at": "2025-11-23T12:00:00Z",
            "completed_at": "2025-11-23T12:04:10Z",
            "output_data": {"artifacts": ["docs/requirements.md"], "tokens": 1234},
            "logs": ["analysis started", {"level": "info", "message": "done"}],
            "retries": 0,
        },
        {
            "stage": "prompt_engineer",
            "stage_number": 4,
            "stage_name": "提示词工程",
            "status": "running",
            "started_at": "2025-11-23T12:04:10Z",
        },
        {"stage": "tools_developer", "stage_number": 5, "stage_name": "工具开发", "status": "pending"},
    ],
}


@pytest.fixture
def table(aws):
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)


def put_project(table, project_id="proj_1", form="string", snapshot=SNAPSHOT, **attributes):
    item = {"project_id": project_id, "status": "running", "updated_at": "2025-11-23T12:00:00Z", **attributes}
    if snapshot is not None:
        item["stages_snapshot"] = json.dumps(snapshot, ensure_ascii=False) if form == "string" else snapshot
    table.put_item(Item=json.loads(json.dumps(item), parse_float=Decimal))
    return item


def stored(table, project_id="proj_1"):
    return table.get_item(Key={"project_id": project_id}).get("Item")


def as_document(value):
    return json.loads(value) if isinstance(value, str) else json.loads(json.dumps(value, default=int))


@contextmanager
def before_each_update(hook):
    """Run `hook` just before every UpdateItem request of this thread: where another service
    would write between our read and our write."""
    events = ProjectsGateway().table.meta.client.meta.events
    events.register_first("before-call.dynamodb.UpdateItem", hook)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", hook)


@pytest.mark.parametrize("form", ["string", "map"])
def test_both_storage_forms_round_trip_with_unknown_fields_kept(table, form):
    put_project(table, form=form, requirement="keep me")
    services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=["p/a.yaml", "p/b.yaml"])
    record = services.stage_update(
        project_id="proj_1", stage="requirements_analyzer", changes={"status": "failed"}, new_logs=["again"]
    )

    item = stored(table)
    assert isinstance(item["stages_snapshot"], str if form == "string" else dict)
    document = as_document(item["stages_snapshot"])
    first, second, third = document["stages"]
    assert first["output_data"] == {"artifacts": ["docs/requirements.md"], "tokens": 1234}
    assert first["retries"] == 0 and first["logs"] == [*SNAPSHOT["stages"][0]["logs"], "again"]
    assert first["status"] == "failed"
    assert second["output_data"] == {"artifacts": ["p/a.yaml", "p/b.yaml"]}
    assert third == SNAPSHOT["stages"][2]
    assert document["schema"] == 2 and (document["total"], document["completed"]) == (3, 0)
    assert item["requirement"] == "keep me" and item["status"] == "running"
    assert item["updated_at"] != "2025-11-23T12:00:00Z" and item["updated_at"].endswith("Z")
    assert record.item == item and record.snapshot.snapshot.stages[1].artifacts == ("p/a.yaml", "p/b.yaml")


def test_the_string_form_stays_readable_utf8(table):
    put_project(table)
    services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=["数据/结果.json"])
    text = stored(table)["stages_snapshot"]
    assert "提示词工程" in text and "数据/结果.json" in text and "\\u" not in text


def test_progress_update_with_reserved_words_and_floats(table):
    put_project(table)
    services.project_update(
        project_id="proj_1",
        changes={"status": "completed", "name": "Math agent", "data": {"ratio": 0.1, "tags": ["a"]}, "progress": 42.5},
    )
    item = stored(table)
    assert item["status"] == "completed" and item["name"] == "Math agent"
    assert item["data"] == {"ratio": Decimal("0.1"), "tags": ["a"]} and item["progress"] == Decimal("42.5")
    assert item["updated_at"].endswith("Z") and item["stages_snapshot"] == json.dumps(SNAPSHOT, ensure_ascii=False)


def test_progress_update_with_null_removes_the_attribute(table):
    put_project(table, error="boom", current_stage="prompt_engineer")
    services.project_update(project_id="proj_1", changes={"error": None, "current_stage": "tools_developer"})
    item = stored(table)
    assert "error" not in item and item["current_stage"] == "tools_developer"


def test_progress_update_of_an_unknown_project_creates_nothing(table):
    with pytest.raises(NotFound, match="proj_nope"):
        services.project_update(project_id="proj_nope", changes={"status": "running"})
    assert stored(table, "proj_nope") is None


@pytest.mark.parametrize("field", ["project_id", "stages_snapshot", "updated_at", "requirement"])
def test_progress_update_refuses_what_is_not_progress(table, field):
    put_project(table)
    with pytest.raises(InvalidInput, match=field), watch_calls() as calls:
        services.project_update(project_id="proj_1", changes={field: "x", "status": "failed"})
    assert calls == [] and stored(table)["status"] == "running"


@pytest.mark.parametrize("form", ["string", "map"])
def test_a_writer_between_our_read_and_our_write_is_not_lost(table, form):
    put_project(table, form=form)
    other = ProjectsGateway()  # same thread, same client: the hook fires for its write too
    interfered = []

    def other_service_writes_first(**_kwargs):
        if interfered:
            return
        interfered.append(True)
        # Another service changes one stage of the snapshot, in the form it is stored in.
        item = stored(table)
        document = as_document(item["stages_snapshot"])
        document["stages"][2]["status"] = "running"
        value = json.dumps(document, ensure_ascii=False) if form == "string" else document
        other.table.update_item(
            Key={"project_id": "proj_1"},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "stages_snapshot"},
            ExpressionAttributeValues={":s": value},
        )

    with before_each_update(other_service_writes_first), watch_calls() as calls:
        services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=["x.yaml"])

    document = as_document(stored(table)["stages_snapshot"])
    assert document["stages"][2]["status"] == "running"  # theirs
    assert document["stages"][1]["output_data"] == {"artifacts": ["x.yaml"]}  # ours
    # ours read, theirs wrote, ours failed its condition, read again and wrote
    assert [op for _, op in calls] == ["GetItem", "GetItem", "UpdateItem", "UpdateItem", "GetItem", "UpdateItem"]


def test_a_map_snapshot_changed_at_one_nested_path_fails_the_condition(table):
    put_project(table, form="map")
    changes = []

    def other_service_sets_one_path(**_kwargs):
        if not changes:
            changes.append(True)
            table.update_item(
                Key={"project_id": "proj_1"},
                UpdateExpression="SET stages_snapshot.stages[0].logs = :l",
                ExpressionAttributeValues={":l": ["theirs"]},
            )

    with before_each_update(other_service_sets_one_path):
        services.stage_update(project_id="proj_1", stage="tools_developer", changes={"status": "running"})
    document = as_document(stored(table)["stages_snapshot"])
    assert document["stages"][0]["logs"] == ["theirs"] and document["stages"][2]["status"] == "running"


def test_writers_that_never_stop_end_in_a_conflict_without_losing_theirs(table, monkeypatch):
    monkeypatch.setattr(gateway_module, "SNAPSHOT_WRITE_ATTEMPTS", 3)
    put_project(table, form="map")
    writes, writing = [], []

    def other_service_always_first(**_kwargs):
        if writing:  # their own write passes through this hook too
            return
        writing.append(True)
        writes.append(True)
        table.update_item(
            Key={"project_id": "proj_1"},
            UpdateExpression="SET stages_snapshot.stages[0].logs = :l",
            ExpressionAttributeValues={":l": [f"write {len(writes)}"]},
        )
        writing.pop()

    with before_each_update(other_service_always_first), pytest.raises(Conflict, match="3 times in a row"):
        services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=["x"])
    document = as_document(stored(table)["stages_snapshot"])
    assert document["stages"][0]["logs"] == ["write 3"] and "output_data" not in document["stages"][1]


def test_a_project_deleted_between_read_and_write_is_not_recreated(table):
    put_project(table)

    def other_service_deletes(**_kwargs):
        table.delete_item(Key={"project_id": "proj_1"})

    with before_each_update(other_service_deletes), pytest.raises(NotFound, match="proj_1"):
        services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=["x"])
    assert stored(table) is None


def test_a_malformed_snapshot_is_refused_and_left_as_it_is(table):
    put_project(table, snapshot=None, stages_snapshot='{"stages": [')
    with pytest.raises(MalformedSnapshot) as caught:
        services.stage_update(project_id="proj_1", stage="prompt_engineer", changes={"status": "failed"})
    assert caught.value.status_code == 409 and "invalid JSON" in caught.value.detail
    assert stored(table)["stages_snapshot"] == '{"stages": [' and stored(table)["updated_at"] == "2025-11-23T12:00:00Z"


def test_stage_writes_need_a_snapshot_and_a_known_stage(table):
    put_project(table, "proj_bare", snapshot=None)
    with pytest.raises(NotFound, match="has no stages_snapshot"):
        services.stage_replace_artifacts(project_id="proj_bare", stage="prompt_engineer", artifacts=[])
    put_project(table)
    with pytest.raises(NotFound, match="no stage 'deploy'.*'prompt_engineer'"):
        services.stage_replace_artifacts(project_id="proj_1", stage="deploy", artifacts=[])
    with pytest.raises(NotFound, match="'proj_nope' does not exist"):
        services.stage_replace_artifacts(project_id="proj_nope", stage="deploy", artifacts=[])


def test_artifacts_too_large_for_the_item_are_refused_by_dynamodb_and_nothing_changes(table):
    put_project(table, form="map")
    paths = [f"out/{n:04d}/" + "x" * 1000 for n in range(450)]  # about 460 KB: over the 400 KB item limit
    with pytest.raises(ItemTooLarge):
        services.stage_replace_artifacts(project_id="proj_1", stage="prompt_engineer", artifacts=paths)
    assert "output_data" not in stored(table)["stages_snapshot"]["stages"][1]


def test_stage_update_needs_something_to_change(table):
    put_project(table)
    with pytest.raises(InvalidInput, match="Nothing to update"):
        services.stage_update(project_id="proj_1", stage="prompt_engineer", changes={})
    with pytest.raises(InvalidInput, match="stage_name"):
        services.stage_update(project_id="proj_1", stage="prompt_engineer", changes={"stage_name": "x"})


def test_pages_filter_by_status_and_cursors_stay_with_their_listing(table):
    for n in range(7):
        put_project(table, f"proj_{n}", status="running" if n % 2 else "completed")
    gateway = ProjectsGateway()
    seen, cursor = [], None
    while True:
        with watch_calls() as calls:
            page = gateway.page(status="running", limit=2, cursor=cursor)
        assert calls == [("dynamodb", "Scan")]
        seen += [record.project_id for record in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == ["proj_1", "proj_3", "proj_5"]
    unfiltered_cursor = gateway.page(limit=2).next_cursor
    with pytest.raises(InvalidCursor):
        gateway.page(status="running", limit=2, cursor=unfiltered_cursor)


def test_keys_dynamodb_would_refuse_are_simply_not_found(table):
    with watch_calls() as calls:
        assert ProjectsGateway().get("p" * 2049) is None
        assert ProjectsGateway().get("") is None
    assert calls == []
    with pytest.raises(NotFound):
        services.project_update(project_id="é" * 1025, changes={"status": "x"})
