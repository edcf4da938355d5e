"""The shared toolkit against moto's DynamoDB: what AWS would accept, and how errors translate."""

from decimal import Decimal

import pytest
from django.conf import settings

from core.dynamo.connection import dynamodb_table, watch_calls
from core.dynamo.errors import dynamodb_errors
from core.dynamo.expressions import Update, equals, expression_kwargs, not_exists
from core.dynamo.item_size import item_size
from core.dynamo.paging import read_page
from core.errors import ConditionFailed, InvalidCursor, ItemTooLarge, TableMissing, Unavailable

MOTO_ITEM_CAP = 405_000  # moto's hard-coded cap (AWS: 409,600); moto sizes strings as AWS does


@pytest.fixture
def jobs(aws):
    return dynamodb_table(settings.DYNAMODB_JOBS_TABLE)


def update(table, key, update, condition=None):
    with dynamodb_errors(table.name):
        return table.update_item(
            Key=key, ReturnValues="ALL_NEW", **expression_kwargs(update=update, condition=condition)
        )["Attributes"]


def test_reserved_words_nested_paths_and_floats_round_trip(jobs):
    jobs.put_item(Item={"job_id": "j1", "data": {"stages": [{"status": "pending"}, {"status": "pending"}]}})
    item = update(
        jobs,
        {"job_id": "j1"},
        Update().set("status", "running").set("name", "x").set("data.stages[1].status", "done").set("ratio", 0.1),
    )
    assert item["status"] == "running" and item["name"] == "x"
    assert item["data"]["stages"] == [{"status": "pending"}, {"status": "done"}]
    assert item["ratio"] == Decimal("0.1")


def test_remove_only_update_is_accepted(jobs):
    jobs.put_item(Item={"job_id": "j1", "execution_steps_s3_key": "jobs/j1/execution_steps.json"})
    item = update(jobs, {"job_id": "j1"}, Update().remove("execution_steps_s3_key"))
    assert item == {"job_id": "j1"}


def test_append_creates_then_extends_a_list(jobs):
    jobs.put_item(Item={"job_id": "j1"})
    update(jobs, {"job_id": "j1"}, Update().append("logs", ["a"]))
    item = update(jobs, {"job_id": "j1"}, Update().append("logs", ["b", "c"]))
    assert item["logs"] == ["a", "b", "c"]


def test_failed_condition_becomes_condition_failed_and_changes_nothing(jobs):
    jobs.put_item(Item={"job_id": "j1", "status": "done"})
    with pytest.raises(ConditionFailed):
        update(jobs, {"job_id": "j1"}, Update().set("status", "x"), condition=equals("status", "running"))
    assert jobs.get_item(Key={"job_id": "j1"})["Item"]["status"] == "done"
    with pytest.raises(ConditionFailed):
        update(jobs, {"job_id": "j1"}, Update().set("status", "x"), condition=not_exists("job_id"))


def test_missing_table_names_the_table_the_endpoint_and_the_fix(aws):
    with pytest.raises(TableMissing) as caught, dynamodb_errors("Nope"):
        dynamodb_table("Nope").get_item(Key={"id": "x"})
    assert "'Nope'" in caught.value.detail and "bootstrap_aws" in caught.value.detail
    assert caught.value.__cause__ is not None


def test_unreachable_endpoint_is_unavailable(settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(Unavailable, match="Cannot reach DynamoDB"), dynamodb_errors("Jobs"):
        dynamodb_table("Jobs").get_item(Key={"job_id": "x"})


def test_item_sizes_at_and_over_the_cap_match_what_dynamodb_accepts(jobs):
    base = {"job_id": "big", "note": "ü"}
    filler = MOTO_ITEM_CAP - item_size({**base, "blob": ""})
    at_cap = {**base, "blob": "x" * filler}
    assert item_size(at_cap) == MOTO_ITEM_CAP
    jobs.put_item(Item=at_cap)
    over = {**base, "blob": "x" * (filler + 1)}
    with pytest.raises(ItemTooLarge), dynamodb_errors(jobs.name):
        jobs.put_item(Item=over)


def test_a_page_is_exactly_one_request_and_cursors_walk_the_table(jobs):
    with jobs.batch_writer() as batch:
        for index in range(7):
            batch.put_item(Item={"job_id": f"j{index}", "status": "done" if index % 2 else "running"})
    seen, cursor, requests = [], None, 0
    while True:
        with watch_calls() as calls:
            page = read_page(jobs, operation="scan", scope="jobs", limit=3, key_names=("job_id",), cursor=cursor)
        requests += 1
        assert calls == [("dynamodb", "Scan")]
        seen += [item["job_id"] for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"j{index}" for index in range(7)]
    assert requests in (3, 4)


def test_foreign_cursor_never_reaches_dynamodb(jobs):
    jobs.put_item(Item={"job_id": "j1"})
    jobs.put_item(Item={"job_id": "j2"})
    cursor = read_page(jobs, operation="scan", scope="jobs:running", limit=1, key_names=("job_id",)).next_cursor
    with watch_calls() as calls, pytest.raises(InvalidCursor):
        read_page(jobs, operation="scan", scope="jobs:done", limit=1, key_names=("job_id",), cursor=cursor)
    assert calls == []
