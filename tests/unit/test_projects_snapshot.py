import json
from decimal import Decimal

import pytest

from core.errors import Conflict, NotFound
from projects.snapshot import (
    MAP,
    STRING,
    InvalidSnapshot,
    encode,
    read_snapshot,
    replace_stage_artifacts,
    update_stage,
    writable_document,
)

DOCUMENT = {
    "total": 2,
    "completed": 1,
    "pipeline_version": "v7",  # unknown to us: must survive every write
    "stages": [
        {
            "stage": "requirements_analyzer",
            "stage_number": 1,
            "stage_name": "需求分析",
            "status": "completed",
            "output_data": {"artifacts": ["docs/requirements.md"], "summary": "ok"},
            "logs": ["started", {"level": "info", "message": "done"}],
            "started_at": "2025-11-23T12:00:00Z",
            "completed_at": "2025-11-23T12:04:10Z",
            "worker": "celery@host-3",
        },
        {"stage": "prompt_engineer", "stage_number": 4, "stage_name": "提示词工程", "status": "pending"},
    ],
}


def test_the_json_string_form_parses_into_typed_stages():
    reading = read_snapshot(json.dumps(DOCUMENT))
    assert reading.form == STRING and reading.error is None
    first, second = reading.snapshot.stages
    assert (first.stage, first.stage_name, first.stage_number) == ("requirements_analyzer", "需求分析", 1)
    assert first.artifacts == ("docs/requirements.md",)
    assert first.logs[1] == {"level": "info", "message": "done"}
    assert second.label == "提示词工程" and second.artifacts == () and second.logs == ()
    assert reading.snapshot.progress == (1, 2)


def test_the_map_form_with_decimals_parses_the_same():
    stored = json.loads(json.dumps(DOCUMENT), parse_int=Decimal)
    reading = read_snapshot(stored)
    assert reading.form == MAP and reading.error is None
    assert reading.snapshot.stages[1].stage_number == 4
    assert reading.snapshot.total == 2 and isinstance(reading.snapshot.total, int)


def test_missing_fields_are_tolerated_and_counters_fall_back_to_the_stages():
    reading = read_snapshot({"stages": [{"status": "completed"}, {}]})
    assert reading.error is None
    assert [stage.label for stage in reading.snapshot.stages] == ["Stage 1", "Stage 2"]
    assert reading.snapshot.progress == (1, 2)
    assert read_snapshot("{}").snapshot.stages == ()


def test_an_absent_snapshot_is_neither_an_error_nor_a_snapshot():
    reading = read_snapshot(None)
    assert reading.missing and reading.error is None and reading.snapshot is None


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ('{"stages": [', "invalid JSON"),
        ("", "invalid JSON"),
        ('{"total": NaN, "stages": []}', "NaN is not a JSON number"),
        ('{"stages": [{"output_data": {"tokens": -1e999}}]}', "-1e999 is too large for a number"),
        ('{"stages": [], "size": ' + "1" * 5000 + "}", "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('"just text"', "expected an object"),
        ('{"stages": {"a": 1}}', "'stages' must be a list"),
        ('{"stages": ["x"]}', "stages[0] must be an object"),
        ('{"stages": [{"status": 3}]}', "stages[0].status must be a string"),
        ('{"stages": [{"output_data": []}]}', "stages[0].output_data must be an object"),
        ('{"stages": [{"output_data": {"artifacts": "a.txt"}}]}', "stages[0].output_data.artifacts must be a list"),
        ('{"stages": [{"output_data": {"artifacts": ["a", 1]}}]}', "artifacts must hold strings only"),
        ('{"stages": [{"logs": "line"}]}', "stages[0].logs must be a list"),
        ('{"total": "6", "stages": []}', "total must be an integer"),
        ('{"total": true, "stages": []}', "total must be an integer"),
        ({"completed": Decimal("2.5"), "stages": []}, "completed must be an integer"),
        (["not", "a", "map"], "expected a JSON string or a map"),
        (Decimal(3), "expected a JSON string or a map"),
    ],
)
def test_a_malformed_snapshot_is_an_error_value_not_an_exception(stored, message):
    reading = read_snapshot(stored)
    assert reading.snapshot is None and reading.document is None
    assert message in reading.error
    assert reading.stored is stored


def test_replacing_artifacts_keeps_every_other_field_and_the_counters():
    changed = replace_stage_artifacts(DOCUMENT, "requirements_analyzer", ["a.md", "b.md"])
    stage = changed["stages"][0]
    assert stage["output_data"] == {"artifacts": ["a.md", "b.md"], "summary": "ok"}
    assert stage["worker"] == "celery@host-3" and changed["pipeline_version"] == "v7"
    assert (changed["total"], changed["completed"]) == (2, 1)
    assert DOCUMENT["stages"][0]["output_data"]["artifacts"] == ["docs/requirements.md"]  # input untouched


def test_replacing_artifacts_creates_output_data_where_absent():
    changed = replace_stage_artifacts(DOCUMENT, "prompt_engineer", ["prompts/agent.yaml"])
    assert changed["stages"][1]["output_data"] == {"artifacts": ["prompts/agent.yaml"]}


def test_stages_are_matched_by_identifier_not_by_display_name():
    with pytest.raises(NotFound) as caught:
        replace_stage_artifacts(DOCUMENT, "提示词工程", ["x"])
    assert "'prompt_engineer'" in caught.value.detail  # the message lists the identifiers


def test_updating_a_stage_sets_fields_appends_logs_and_counts_its_completion():
    changed = update_stage(
        DOCUMENT, "prompt_engineer", fields={"status": "completed", "error": None}, new_logs=["one", "two"]
    )
    stage = changed["stages"][1]
    assert stage["status"] == "completed" and stage["error"] is None and stage["logs"] == ["one", "two"]
    assert (changed["total"], changed["completed"]) == (2, 2)
    again = update_stage(changed, "prompt_engineer", fields={}, new_logs=["three"])
    assert again["stages"][1]["logs"] == ["one", "two", "three"]


def test_total_is_upstreams_and_is_kept_though_only_some_stages_are_listed():
    """Seed 001's own example: total 6, one stage listed."""
    document = {"total": 6, "completed": 3, "stages": [{"stage": "a", "status": "running"}]}
    changed = update_stage(document, "a", fields={"error": "slow"})
    assert (changed["total"], changed["completed"]) == (6, 3)


@pytest.mark.parametrize(
    ("before", "after", "completed"),
    [
        ("running", "completed", 4),  # enters completed: one more
        ("completed", "failed", 2),  # leaves completed: one less
        ("completed", "completed", 3),  # stays: unchanged
        ("pending", "running", 3),  # neither: unchanged
        (None, "completed", 4),  # a stage without a status enters completed
    ],
)
def test_completed_moves_by_the_stages_transition_never_recounted(before, after, completed):
    document = {"total": 6, "completed": 3, "stages": [{"stage": "a", "status": before}, {"stage": "b"}]}
    changed = update_stage(document, "a", fields={"status": after})
    assert (changed["total"], changed["completed"]) == (6, completed)


def test_completed_keeps_its_stored_form_and_never_goes_below_zero():
    assert update_stage({"completed": Decimal("2.0"), "stages": [{"stage": "a"}]}, "a", fields={"status": "completed"})[
        "completed"
    ] == Decimal("3.0")
    emptied = update_stage(
        {"completed": 0, "stages": [{"stage": "a", "status": "completed"}]}, "a", fields={"status": "failed"}
    )
    assert emptied["completed"] == 0


def test_a_snapshot_without_counters_gets_none_from_a_write():
    changed = update_stage({"stages": [{"stage": "a"}]}, "a", fields={"status": "completed"})
    assert changed == {"stages": [{"stage": "a", "status": "completed"}]}


def test_a_write_keeps_every_number_of_a_string_snapshot_as_it_was_written():
    stored = (
        '{"total": 2.0, "completed": 0, "cost": 0.12345678901234567890123, "stages": ['
        '{"stage": "a", "stage_number": 1.0, "tokens": 1e5}, {"stage": "b", "score": 1E-7}]}'
    )
    reading = read_snapshot(stored)
    assert reading.error is None and reading.snapshot.total == 2  # 2.0 is an integer value, as in a map
    written = encode(update_stage(reading.document, "b", fields={"status": "running"}), STRING)
    assert written == stored.replace('"score": 1E-7}', '"score": 1E-7, "status": "running"}')


def test_an_identifier_that_appears_twice_is_refused():
    document = {"stages": [{"stage": "a"}, {"stage": "a"}]}
    with pytest.raises(Conflict, match="appears 2 times"):
        replace_stage_artifacts(document, "a", [])


def test_each_form_is_encoded_back_as_it_came_with_non_ascii_as_utf8():
    as_string = encode(DOCUMENT, STRING)
    assert isinstance(as_string, str) and "需求分析" in as_string and json.loads(as_string) == DOCUMENT
    assert encode(DOCUMENT, MAP) is DOCUMENT


# Seed 001's writer turns a map into text with json.dumps(default=str): its numbers become strings.
SEED_001_TEXT = (
    '{"total": "6", "completed": "1", "stages": [{"stage": "a", "stage_number": "4", "status": "running"}, '
    '"not a stage", {"stage": "b", "logs": "one line", "output_data": ["x"]}]}'
)


def test_a_field_no_write_needs_does_not_stop_a_write_and_is_kept_as_it_is():
    reading = read_snapshot(SEED_001_TEXT)
    assert reading.snapshot is None and "must be an integer" in reading.error  # shown as malformed
    changed = update_stage(writable_document(reading), "a", fields={"status": "completed"}, new_logs=["done"])
    assert changed["stages"][0] == {"stage": "a", "stage_number": "4", "status": "completed", "logs": ["done"]}
    assert changed["stages"][1:] == ["not a stage", {"stage": "b", "logs": "one line", "output_data": ["x"]}]
    assert (changed["total"], changed["completed"]) == ("6", "1")  # not numbers: upstream's to fix, kept


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda document: update_stage(document, "b", fields={}, new_logs=["more"]), "the logs of stage 'b'"),
        (lambda document: replace_stage_artifacts(document, "b", ["a.txt"]), "the output_data of stage 'b'"),
    ],
)
def test_a_write_to_a_field_of_the_wrong_type_is_refused(write, message):
    with pytest.raises(InvalidSnapshot, match=message):
        write(writable_document(read_snapshot(SEED_001_TEXT)))
    assert update_stage(writable_document(read_snapshot(SEED_001_TEXT)), "b", fields={"status": "failed"})


@pytest.mark.parametrize("stored", ['{"stages": [', '"text"', '{"stages": {"a": 1}}', Decimal(3), ["a"]])
def test_a_document_that_is_not_an_object_of_stages_cannot_be_written(stored):
    with pytest.raises(InvalidSnapshot):
        writable_document(read_snapshot(stored))
