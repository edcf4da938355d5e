"""The registry gateway and services against moto: CRUD, lookups with and without the secondary
indexes, tolerant reads, and a url registered at most once even under concurrent creates."""

import json
import threading

import pytest
from django.conf import settings

from artifacts.gateway import ArtifactGateway
from artifacts.services import (
    ArtifactContent,
    DuplicateUrl,
    artifact_create,
    artifact_delete,
    artifact_get,
    artifact_id_for_url,
    artifact_links,
    artifact_list,
    artifact_replace,
)
from core import bootstrap
from core.dynamo.connection import dynamodb_client, watch_calls
from core.errors import InvalidCursor, InvalidInput, ItemTooLarge, NotFound, TableMissing
from tests.integration.artifacts_support import (
    MODEL_RATING,
    dynamodb_requests,
    recreate_key_only,
    upstream_item,
)

BERT = "https://huggingface.co/google-bert/bert-base-uncased"

pytest_plugins = ["tests.integration.artifacts_support"]  # its fixtures


def all_items(table) -> list[dict]:
    return table.scan(ConsistentRead=True)["Items"]


def test_crud_round_trip(artifacts_table):
    dataset = artifact_create(
        content=ArtifactContent(
            artifact_type="dataset", name="BookCorpus", url="https://huggingface.co/datasets/bookcorpus"
        )
    )
    created = artifact_create(
        content=ArtifactContent(
            artifact_type="model",
            name="BERT base (uncased)",
            url=BERT,
            artifact={"data": {"download_url": "https://example.com/bert.zip"}, "tags": ["nlp"]},
            rating=MODEL_RATING,
            dataset_id=dataset.artifact_id,
        )
    )
    assert created.artifact_id == artifact_id_for_url(BERT)
    assert artifact_get(artifact_id=created.artifact_id) == created
    stored = artifacts_table.get_item(Key={"artifact_id": created.artifact_id})["Item"]
    assert stored["name_normalized"] == "bert-base-uncased"
    assert json.loads(stored["rating"]) == MODEL_RATING
    assert json.loads(stored["artifact"]) == {
        "metadata": {"name": "BERT base (uncased)", "id": created.artifact_id, "type": "model"},
        "data": {"download_url": "https://example.com/bert.zip", "url": BERT},
        "tags": ["nlp"],
    }
    assert (stored["dataset_id"], stored["dataset_name"], stored["dataset_url"]) == (
        dataset.artifact_id,
        "BookCorpus",
        "https://huggingface.co/datasets/bookcorpus",
    )

    replaced = artifact_replace(
        artifact_id=created.artifact_id, content=ArtifactContent(artifact_type="model", name="BERT base v2", url=BERT)
    )
    assert replaced.name == "BERT base v2" and replaced.name_normalized == "bert-base-v2"
    assert replaced.rating is None and replaced.dataset_id is None  # a replace drops what it does not give
    assert artifact_get(artifact_id=created.artifact_id) == replaced

    assert artifact_delete(artifact_id=created.artifact_id) == replaced
    with pytest.raises(NotFound):
        artifact_get(artifact_id=created.artifact_id)
    with pytest.raises(NotFound):
        artifact_delete(artifact_id=created.artifact_id)
    assert [item["artifact_id"] for item in all_items(artifacts_table)] == [dataset.artifact_id]


def test_what_each_write_costs(artifacts_table):
    dataset = artifact_create(content=ArtifactContent(artifact_type="dataset", name="d", url="https://hf.co/d"))
    with watch_calls() as create_calls:
        artifact_create(
            content=ArtifactContent(artifact_type="model", name="m", url=BERT, dataset_id=dataset.artifact_id)
        )
    with watch_calls() as replace_calls:
        artifact_replace(
            artifact_id=artifact_id_for_url(BERT), content=ArtifactContent(artifact_type="model", name="n", url=BERT)
        )
    with watch_calls() as delete_calls:
        artifact_delete(artifact_id=dataset.artifact_id)
    # links resolved in one batch, the url looked up on its index, then one conditional write
    assert [operation for _, operation in create_calls] == ["BatchGetItem", "Query", "PutItem"]
    assert [operation for _, operation in replace_calls] == ["GetItem", "UpdateItem"]
    assert [operation for _, operation in delete_calls] == ["DeleteItem"]


def test_replace_keeps_attributes_other_writers_added(artifacts_table):
    artifacts_table.put_item(Item=upstream_item("up-1", url=BERT, downloads=1234, owner={"team": "nlp"}))
    artifact_replace(
        artifact_id="up-1",
        content=ArtifactContent(artifact_type="model", name="bert", url=BERT, rating={"net_score": 0.5}),
    )
    item = artifacts_table.get_item(Key={"artifact_id": "up-1"})["Item"]
    assert item["downloads"] == 1234 and item["owner"] == {"team": "nlp"}
    assert json.loads(item["rating"]) == {"net_score": 0.5}


def test_replace_cannot_change_the_url_or_reach_a_missing_artifact(artifacts_table):
    created = artifact_create(
        content=ArtifactContent(artifact_type="code", name="bert", url="https://github.com/google-research/bert")
    )
    with pytest.raises(InvalidInput, match="url of an artifact cannot change"):
        artifact_replace(
            artifact_id=created.artifact_id,
            content=ArtifactContent(artifact_type="code", name="bert", url="https://github.com/x"),
        )
    with pytest.raises(NotFound):
        artifact_replace(
            artifact_id="nope", content=ArtifactContent(artifact_type="code", name="bert", url="https://github.com/x")
        )
    assert artifact_get(artifact_id=created.artifact_id) == created


def test_a_duplicate_url_is_a_conflict_not_a_second_item(any_artifacts_table):
    first = artifact_create(content=ArtifactContent(artifact_type="model", name="bert", url=BERT))
    with pytest.raises(DuplicateUrl, match=first.artifact_id):
        artifact_create(content=ArtifactContent(artifact_type="dataset", name="another name", url=BERT))
    assert len(all_items(any_artifacts_table)) == 1


def test_a_url_registered_upstream_under_its_own_id_is_a_conflict_too(any_artifacts_table):
    any_artifacts_table.put_item(Item={"artifact_id": f"filler-{0}", "artifact_type": "code", "url": "https://x/0"})
    any_artifacts_table.put_item(Item=upstream_item("3847247294", url=BERT))
    with pytest.raises(DuplicateUrl, match="3847247294"):
        artifact_create(content=ArtifactContent(artifact_type="model", name="bert", url=BERT))
    assert len(all_items(any_artifacts_table)) == 2


def test_concurrent_creates_of_one_url_leave_exactly_one_item(artifacts_table):
    """Both creators pass the url lookup before either writes; the conditional put on the id
    derived from the url lets only one through."""
    first_reached_put, second_done = threading.Event(), threading.Event()
    outcomes = {}

    def pause_before_put(**_):
        first_reached_put.set()
        assert second_done.wait(10)

    def first():
        client = dynamodb_client()  # this thread's own client: the pause affects only this thread
        client.meta.events.register("before-call.dynamodb.PutItem", pause_before_put, unique_id="pause")
        try:
            outcomes["first"] = artifact_create(
                content=ArtifactContent(artifact_type="model", name="bert (first)", url=BERT)
            )
        except DuplicateUrl as err:
            outcomes["first"] = err
        finally:
            client.meta.events.unregister("before-call.dynamodb.PutItem", unique_id="pause")

    def second():
        assert first_reached_put.wait(10)
        try:
            outcomes["second"] = artifact_create(
                content=ArtifactContent(artifact_type="model", name="bert (second)", url=BERT)
            )
        finally:
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert isinstance(outcomes["first"], DuplicateUrl)
    assert outcomes["second"].name == "bert (second)"
    items = all_items(artifacts_table)
    assert [(item["url"], item["name_normalized"]) for item in items] == [(BERT, "bert-second")]


def add_catalogue() -> None:
    """Ten models, datasets and code; names chosen so that substring search has near misses."""
    rows = [
        ("model", "BERT base uncased", "https://hf.co/bert-base-uncased"),
        ("model", "bert-large", "https://hf.co/bert-large"),
        ("model", "RoBERTa base", "https://hf.co/roberta-base"),
        ("model", "whisper tiny", "https://hf.co/whisper-tiny"),
        ("dataset", "BERT pretraining corpus", "https://hf.co/datasets/bert-corpus"),
        ("dataset", "LibriSpeech", "https://hf.co/datasets/librispeech"),
        ("dataset", "SQuAD", "https://hf.co/datasets/squad"),
        ("code", "google-research/bert", "https://github.com/google-research/bert"),
        ("code", "openai/whisper", "https://github.com/openai/whisper"),
        ("code", "pytorch/vision", "https://github.com/pytorch/vision"),
    ]
    for artifact_type, name, url in rows:
        artifact_create(content=ArtifactContent(artifact_type=artifact_type, name=name, url=url))


def walk(limit=3, **filters) -> tuple[list, list[str]]:
    """Follow cursors to the end; every page of this small table is exactly one DynamoDB request."""
    names, cursor, operations = [], None, []
    while True:
        with watch_calls() as calls, dynamodb_requests() as requests:
            page = artifact_list(cursor=cursor, limit=limit, **filters)
        assert len(calls) == 1, calls
        operations += requests
        names += [record.name for record in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return sorted(names), operations


def test_lookups_give_the_same_answers_with_and_without_the_indexes(any_artifacts_table):
    add_catalogue()
    ArtifactGateway().active_indexes()  # learned once per process; not part of any page
    assert walk(url="https://hf.co/whisper-tiny")[0] == ["whisper tiny"]
    assert walk(url="https://hf.co/nothing")[0] == []
    assert walk(artifact_type="dataset")[0] == ["BERT pretraining corpus", "LibriSpeech", "SQuAD"]
    assert walk(name="BERT")[0] == [
        "BERT base uncased",
        "BERT pretraining corpus",
        "RoBERTa base",  # "roberta-base" holds "bert"
        "bert-large",
        "google-research/bert",
    ]
    assert walk(artifact_type="model", name="bert_BASE")[0] == ["BERT base uncased"]
    assert walk(artifact_type="code", url="https://github.com/openai/whisper")[0] == ["openai/whisper"]
    assert walk(artifact_type="model", url="https://github.com/openai/whisper")[0] == []
    assert len(walk()[0]) == 10


def test_with_the_indexes_lookups_query_them(artifacts_table):
    add_catalogue()
    ArtifactGateway().active_indexes()
    table = artifacts_table.name
    _, by_url = walk(url="https://hf.co/whisper-tiny", artifact_type="model")
    assert set(by_url) == {("Query", table, "url-index")}
    _, by_type = walk(artifact_type="model", name="bert")
    assert set(by_type) == {("Query", table, "artifact_type-index")}
    _, by_name = walk(name="bert")
    assert set(by_name) == {("Scan", table, None)}


def test_without_the_indexes_lookups_are_paged_scans(artifacts_table):
    recreate_key_only(artifacts_table.name)
    add_catalogue()
    ArtifactGateway().active_indexes()
    table = artifacts_table.name
    names, requests = walk(limit=4, url="https://hf.co/whisper-tiny")
    assert names == ["whisper tiny"]
    # A filtered Scan reads DynamoDB's full pages: the 10 items in one request, not 4 at a time.
    assert requests == [("Scan", table, None)]


def test_the_index_check_is_one_describe_table_per_process(artifacts_table):
    with watch_calls() as calls:
        artifact_list(artifact_type="model", limit=5)
        artifact_list(artifact_type="code", limit=5)
    assert calls == [("dynamodb", "DescribeTable"), ("dynamodb", "Query"), ("dynamodb", "Query")]


def test_an_index_deleted_while_running_is_noticed_and_lookups_go_on(artifacts_table):
    created = artifact_create(content=ArtifactContent(artifact_type="model", name="bert", url=BERT))
    assert ArtifactGateway().active_indexes() == {"url-index", "artifact_type-index"}
    dynamodb_client().update_table(
        TableName=artifacts_table.name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "url-index"}}]
    )
    with dynamodb_requests() as requests:
        assert artifact_list(url=BERT, limit=5).items == [created]
    assert [operation for operation, _, _ in requests] == ["Query", "DescribeTable", "Scan"]
    assert ArtifactGateway().active_indexes() == {"artifact_type-index"}


def test_a_url_too_long_for_an_index_key_is_looked_up_with_a_filter(artifacts_table):
    artifact_create(content=ArtifactContent(artifact_type="model", name="bert", url=BERT))
    ArtifactGateway().active_indexes()
    with dynamodb_requests() as requests:
        assert artifact_list(url="https://x/" + "é" * 1100, limit=5).items == []
        assert artifact_list(url="https://x/" + "é" * 1100, artifact_type="model", limit=5).items == []
    assert [(operation, index) for operation, _, index in requests] == [
        ("Scan", None),
        ("Query", "artifact_type-index"),
    ]


def test_a_cursor_only_continues_the_listing_it_came_from(any_artifacts_table):
    add_catalogue()
    cursor = artifact_list(artifact_type="model", limit=1).next_cursor
    assert cursor
    assert artifact_list(artifact_type="model", limit=1, cursor=cursor).items
    with pytest.raises(InvalidCursor):
        artifact_list(artifact_type="dataset", limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        artifact_list(artifact_type="model", name="bert", limit=1, cursor=cursor)


def test_a_name_query_without_letters_or_digits_is_refused(artifacts_table):
    with pytest.raises(InvalidInput, match="letter or a digit"):
        artifact_list(name=" -- ", limit=5)


def test_malformed_stored_json_is_shown_not_raised(any_artifacts_table):
    any_artifacts_table.put_item(Item=upstream_item("bad-1", rating='{"net_score": 0.4,', artifact="[]", url=BERT))
    any_artifacts_table.put_item(Item={"artifact_id": "bare"})  # nothing but its key
    record = artifact_get(artifact_id="bad-1")
    assert record.rating is None and "invalid JSON" in record.rating_error
    assert record.artifact is None and "not an object" in record.artifact_error
    assert record.stored_rating == '{"net_score": 0.4,'
    listed = {record.artifact_id: record for record in artifact_list(limit=10).items}
    assert listed["bad-1"] == record
    assert listed["bare"].artifact_type is None and listed["bare"].name == ""
    assert artifact_list(url=BERT, limit=10).items == [record]


def test_links_must_name_registered_artifacts_of_their_kind(artifacts_table):
    code = artifact_create(
        content=ArtifactContent(artifact_type="code", name="bert", url="https://github.com/google-research/bert")
    )
    with pytest.raises(InvalidInput, match="dataset_id 'missing' is not a registered dataset"):
        artifact_create(content=ArtifactContent(artifact_type="model", name="m", url=BERT, dataset_id="missing"))
    with pytest.raises(InvalidInput, match="is not a registered dataset"):
        artifact_create(content=ArtifactContent(artifact_type="model", name="m", url=BERT, dataset_id=code.artifact_id))
    model = artifact_create(
        content=ArtifactContent(artifact_type="model", name="m", url=BERT, code_id=code.artifact_id)
    )
    with pytest.raises(InvalidInput, match="cannot link to itself"):
        artifact_replace(
            artifact_id=code.artifact_id,
            content=ArtifactContent(artifact_type="code", name="c", url=code.url, code_id=code.artifact_id),
        )
    assert (model.code_name, model.code_url) == ("bert", code.url)
    with watch_calls() as calls:
        assert artifact_links(record=model) == {"code": code}
    assert calls == [("dynamodb", "BatchGetItem")]
    artifact_delete(artifact_id=code.artifact_id)
    assert artifact_links(record=artifact_get(artifact_id=model.artifact_id)) == {}  # a dangling link is no link


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"artifact_type": "notebook"}, "Unknown artifact type 'notebook'"),
        ({"url": ""}, "url is required"),
        ({"url": "https://x/" + "é" * 1100}, "at most 2048 bytes"),
        ({"name": "?!"}, "letter or a digit"),
        ({"name": "n" * 201}, "at most 200 characters"),
        ({"artifact_type": "dataset", "rating": {"net_score": 0.5}}, "Only models have a rating"),
        ({"rating": {"net_score": 1.5, "bus_factor_latency": -2}}, "net_score must be a number between 0 and 1"),
        ({"rating": {"net_score": float("nan")}}, "net_score must be"),
        ({"artifact": ["not", "an", "object"]}, "artifact must be a JSON object"),
        ({"artifact": {"metadata": "x"}}, "metadata and data must be JSON objects"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(artifacts_table, fields, message):
    with pytest.raises(InvalidInput, match=message):
        artifact_create(content=ArtifactContent(**{"artifact_type": "model", "name": "bert", "url": BERT, **fields}))
    assert all_items(artifacts_table) == []


def test_an_artifact_too_large_for_dynamodb_is_invalid_input(artifacts_table):
    with pytest.raises(ItemTooLarge):
        artifact_create(
            content=ArtifactContent(artifact_type="dataset", name="huge", url=BERT, artifact={"blob": "x" * 420_000})
        )
    assert all_items(artifacts_table) == []


@pytest.mark.parametrize("artifact_id", ["a/b c", "名前?#%2F", "x" * 300, " "])
def test_ids_with_odd_characters_are_read_and_deleted(artifacts_table, artifact_id):
    artifacts_table.put_item(Item=upstream_item(artifact_id, url="https://hf.co/odd"))
    assert artifact_get(artifact_id=artifact_id).artifact_id == artifact_id
    artifact_delete(artifact_id=artifact_id)
    assert all_items(artifacts_table) == []


@pytest.mark.parametrize("artifact_id", ["", "x" * 2049])
def test_ids_dynamodb_cannot_hold_are_simply_not_found(artifacts_table, artifact_id):
    with watch_calls() as calls, pytest.raises(NotFound):
        artifact_get(artifact_id=artifact_id)
    with pytest.raises(NotFound):
        artifact_delete(artifact_id=artifact_id)
    assert calls == []


def test_a_missing_table_names_itself_and_the_fix(artifacts_table):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_ARTIFACTS_TABLE)
    with pytest.raises(TableMissing, match="bootstrap_aws"):
        artifact_list(limit=5)
    bootstrap.ensure()
    assert artifact_list(limit=5).items == []
