"""Property-based tests of `stages_snapshot` parsing and stage changes: any stored value reads
without raising, both storage forms read back what was written, and a change to one stage keeps
everything else (upstream's unknown fields included) exactly as it was."""

import copy
import json

import pytest
from boto3.dynamodb.types import Binary
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.dynamo.values import to_dynamodb
from core.errors import NotFound
from core.stored_json import write_json
from projects.snapshot import COMPLETED, MAP, STRING, encode, read_snapshot, replace_stage_artifacts, update_stage
from tests.strategies import dynamodb_values, json_values, snapshots

EXAMPLES = 250
STAGE_FIELDS = ["stage", "stage_number", "stage_name", "status", "output_data", "logs", "started_at", "error"]


def truncations(document: dict) -> st.SearchStrategy[str]:
    text = json.dumps(document, ensure_ascii=False)
    return st.integers(0, len(text)).map(lambda end: text[:end])


@st.composite
def corrupted(draw) -> dict:
    """A snapshot with one field of one stage (or a counter, or `stages`) replaced by any value."""
    document = draw(snapshots())
    value = draw(json_values)
    place = draw(st.sampled_from(["total", "completed", "stages", "stage"]))
    if place == "stage":
        stage = draw(st.sampled_from(document["stages"]))
        stage[draw(st.sampled_from(STAGE_FIELDS))] = value
    else:
        document[place] = value
    return document


stored_values = st.one_of(
    dynamodb_values,  # any attribute type another writer might put there
    st.text(max_size=60),
    json_values.map(json.dumps),  # valid JSON of the wrong shape
    snapshots().flatmap(truncations),  # a snapshot cut off anywhere
    corrupted().map(json.dumps),
    corrupted().map(to_dynamodb),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(stored_values)
def test_any_stored_value_reads_without_raising_and_says_why_when_it_cannot(stored):
    reading = read_snapshot(stored)
    assert reading.stored is stored
    assert reading.form == (STRING if isinstance(stored, str) else MAP if isinstance(stored, dict) else None)
    if stored is None:
        assert reading.missing and reading.error is None
    elif reading.error is None:
        assert isinstance(reading.document, dict)
        assert len(reading.snapshot.stages) == len(reading.document.get("stages") or [])
    else:
        assert isinstance(reading.error, str) and reading.error
        assert reading.document is None and reading.snapshot is None


@settings(max_examples=EXAMPLES, deadline=None)
@given(snapshots())
def test_both_storage_forms_read_back_the_document_written(document):
    text = encode(document, STRING)
    as_string = read_snapshot(text)
    # Numbers come back exact (Decimal, never float): the text written again is the text read.
    assert as_string.error is None and encode(as_string.document, STRING) == text
    assert json.loads(text) == document
    stored_map = to_dynamodb(document)
    as_map = read_snapshot(encode(stored_map, MAP))
    assert as_map.error is None and as_map.document == stored_map
    assert [stage.stage for stage in as_map.snapshot.stages] == [stage["stage"] for stage in document["stages"]]


@st.composite
def stage_changes(draw):
    document = draw(snapshots())
    target = draw(st.sampled_from([stage["stage"] for stage in document["stages"]]))
    fields = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(["running", COMPLETED, "failed"]),
                "error": st.none() | st.text(max_size=8),
                "completed_at": st.none() | st.just("2025-11-23T12:09:00Z"),
            },
        )
    )
    logs = draw(st.lists(st.text(max_size=10), max_size=3))
    return document, target, fields, logs


@settings(max_examples=EXAMPLES, deadline=None)
@given(stage_changes())
def test_a_stage_update_changes_that_stage_only_and_moves_completed_by_its_transition(change):
    document, target, fields, logs = change
    original = copy.deepcopy(document)
    changed = update_stage(document, target, fields=fields, new_logs=logs)
    assert document == original  # pure: the document read is left as it was
    stages = changed["stages"]
    completed_now = sum(1 for stage in stages if stage.get("status") == COMPLETED)
    completed_before = sum(1 for stage in original["stages"] if stage.get("status") == COMPLETED)
    if original.get("completed") is not None:
        assert changed["completed"] == max(original["completed"] + completed_now - completed_before, 0)
    assert {k: v for k, v in changed.items() if k not in ("stages", "completed")} == {
        k: v for k, v in original.items() if k not in ("stages", "completed")
    }
    for before, after in zip(original["stages"], stages, strict=True):
        if before["stage"] != target:
            assert after == before
            continue
        expected = {**before, **fields}
        if logs:
            expected["logs"] = [*(before.get("logs") or []), *logs]
        assert after == expected


@settings(max_examples=EXAMPLES, deadline=None)
@given(stage_changes(), st.data())
def test_a_stage_write_on_a_string_snapshot_keeps_the_text_of_every_other_stage(change, data):
    """Any upstream JSON text (numbers of any precision and form, non-ASCII, escapes): only the
    stage changed differs in what is written back."""
    document, target, fields, logs = change
    for stage in document["stages"]:  # numbers no float holds exactly (0.1234567890123456789, 1E+5)
        stage["x_exact"] = data.draw(st.decimals(min_value=-(10**300), max_value=10**300, allow_nan=False))
    text = write_json(document)
    written = encode(update_stage(read_snapshot(text).document, target, fields=fields, new_logs=logs), STRING)
    index = [stage["stage"] for stage in document["stages"]].index(target)
    before, after = json.loads(text), json.loads(written)
    assert after["stages"][:index] == before["stages"][:index]
    assert after["stages"][index + 1 :] == before["stages"][index + 1 :]
    for stage in document["stages"][:index] + document["stages"][index + 1 :]:
        assert write_json(stage) in written  # the same text, not only the same value
    assert {k: v for k, v in after.items() if k not in ("stages", "completed")} == {
        k: v for k, v in before.items() if k not in ("stages", "completed")
    }


@settings(max_examples=EXAMPLES, deadline=None)
@given(snapshots(), st.data())
def test_replacing_artifacts_keeps_the_rest_of_output_data(document, data):
    target = data.draw(st.sampled_from([stage["stage"] for stage in document["stages"]]))
    artifacts = data.draw(st.lists(st.text(max_size=12), max_size=4))
    changed = replace_stage_artifacts(document, target, artifacts)
    for before, after in zip(document["stages"], changed["stages"], strict=True):
        if before["stage"] == target:
            assert after["output_data"] == {**(before.get("output_data") or {}), "artifacts": artifacts}
            assert {k: v for k, v in after.items() if k != "output_data"} == {
                k: v for k, v in before.items() if k != "output_data"
            }
        else:
            assert after == before


@settings(max_examples=100, deadline=None)
@given(snapshots(), st.text(min_size=1, max_size=10))
def test_an_unknown_stage_is_not_found_and_changes_nothing(document, stage):
    assume(stage not in {entry["stage"] for entry in document["stages"]})
    original = copy.deepcopy(document)
    with pytest.raises(NotFound):
        update_stage(document, stage, fields={"status": COMPLETED})
    assert document == original


@settings(max_examples=EXAMPLES, deadline=None)
@given(stage_changes(), st.data())
def test_a_stage_write_on_a_map_snapshot_can_send_back_any_dynamodb_value_it_read(change, data):
    """Binary, sets of every kind, NULL, numbers: a map snapshot holding any of them in any stage is
    written back with each of them as it was."""
    document, target, fields, logs = change
    for stage in document["stages"]:
        stage["x_upstream"] = as_read(data.draw(dynamodb_values))
    stored = to_dynamodb(document)
    sent = to_dynamodb(update_stage(read_snapshot(stored).document, target, fields=fields, new_logs=logs))
    for before, after in zip(stored["stages"], sent["stages"], strict=True):
        assert after["x_upstream"] == before["x_upstream"]
        assert type(after["x_upstream"]) is type(before["x_upstream"])
        if before["stage"] != target:
            assert after == before


def as_read(value):
    """`value` as the boto3 Table resource reads it back: binary as Binary, not bytes."""
    if isinstance(value, bytes):
        return Binary(value)
    if isinstance(value, dict):
        return {key: as_read(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_read(item) for item in value]
    if isinstance(value, frozenset):
        return {as_read(item) for item in value}
    return value
