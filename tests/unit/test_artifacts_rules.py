"""The registry's pure rules: name normalization, rating validation, tolerant reading of items
and of stage snapshots."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifacts.names import normalize_name
from artifacts.rating import rating_problems, sub_scores
from artifacts.records import parse_json_object, record_from_item
from artifacts.stage_artifacts import StageArtifact, stage_artifacts
from core.stored_json import read_json
from projects.snapshot import read_snapshot


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BERT Base_Uncased (v2)", "bert-base-uncased-v2"),
        ("  --whisper--tiny--  ", "whisper-tiny"),
        ("Ｗｈｉｓｐｅｒ", "whisper"),  # full-width letters (NFKC)
        ("Straße", "strasse"),  # casefold, not lower()
        ("Cafe\u0301", "café"),  # decomposed accent composes
        ("提示词 工程", "提示词-工程"),
        ("हिन्दी मॉडल", "हिन्दी-मॉडल"),  # combining vowel signs stay inside words
        ("ﬁne-tuned", "fine-tuned"),  # ligature
        ("!!!", ""),
    ],
)
def test_normalize_name(text, expected):
    assert normalize_name(text) == expected


@given(st.text(max_size=60))
def test_normalizing_is_idempotent_and_never_leaves_edge_or_double_hyphens(text):
    normalized = normalize_name(text)
    assert normalize_name(normalized) == normalized
    assert not normalized.startswith("-") and not normalized.endswith("-") and "--" not in normalized


@given(st.text(min_size=1, max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_a_word_run_of_a_name_is_found_as_a_substring(word, before, after):
    query = normalize_name(word)
    name = normalize_name(f"{before} {word} {after}")
    assert query in name


FULL_RATING = {
    "name": "bert-base-uncased",
    "category": "MODEL",
    "net_score": 0.83,
    "net_score_latency": 0.18,
    "ramp_up_time": 1,
    "license": 0,
    "size_score": {"raspberry_pi": 0.2, "aws_server": 1.0},
    "size_score_latency": 0,
    "new_metric_from_a_newer_rater": 7,
}


def test_a_full_rating_with_unknown_keys_is_valid():
    assert rating_problems(FULL_RATING) == []


@pytest.mark.parametrize(
    ("rating", "fragment"),
    [
        ({"net_score": 1.01}, "net_score must be a number between 0 and 1"),
        ({"bus_factor": -0.1}, "bus_factor must be"),
        ({"license": True}, "license must be"),
        ({"code_quality": "0.5"}, "code_quality must be"),
        ({"size_score": {"desktop_pc": 2}}, "size_score must be an object"),
        ({"size_score": 0.5}, "size_score must be an object"),
        ({"net_score_latency": -1}, "net_score_latency must be a non-negative number"),
        ({"anything_latency": None}, "anything_latency must be"),
        ([0.5], "must be a JSON object"),
    ],
)
def test_invalid_ratings_say_what_is_wrong(rating, fragment):
    problems = rating_problems(rating)
    assert any(fragment in problem for problem in problems), problems


def test_sub_scores_put_known_scores_first_with_their_latencies_then_other_numbers():
    scores = sub_scores(FULL_RATING)
    assert [score.key for score in scores] == [
        "net_score",
        "ramp_up_time",
        "license",
        "size_score",
        "new_metric_from_a_newer_rater",
    ]
    assert scores[0].label == "Net score" and scores[0].latency == 0.18
    assert scores[3].devices == [("raspberry pi", 0.2), ("aws server", 1.0)] and scores[3].score is None
    assert scores[4].label == "New metric from a newer rater" and scores[4].latency is None


@pytest.mark.parametrize(
    ("stored", "error"),
    [
        ('{"net_score": 0.4,', "invalid JSON"),
        ('{"net_score": NaN}', "NaN is not a JSON number"),
        ('{"net_score": 1e400}', "1e400 is too large for a number"),
        ("[1, 2]", "a JSON list, not an object"),
        ('"text"', "a JSON str, not an object"),
        (Decimal(3), "stored as a Decimal"),
    ],
)
def test_unreadable_json_is_an_error_value(stored, error):
    parsed, why = parse_json_object(stored)
    assert parsed is None and error in why


def test_a_map_stored_instead_of_a_string_is_read_with_plain_numbers():
    parsed, why = parse_json_object({"net_score": Decimal("0.5"), "size_score": {"pc": Decimal(1)}})
    assert why is None and parsed == {"net_score": 0.5, "size_score": {"pc": 1}}


def test_a_record_with_broken_json_keeps_the_stored_text_and_everything_else():
    item = {
        "artifact_id": "a1",
        "artifact_type": "model",
        "url": "https://huggingface.co/x",
        "name_normalized": "x-model",
        "artifact": "{not json",
        "rating": '{"net_score": 2}',
        "dataset_id": "d1",
        "code_url": Decimal(5),  # a wrong type is dropped, not raised
    }
    record = record_from_item(item)
    assert record.artifact is None and "invalid JSON" in record.artifact_error
    assert record.stored_artifact == "{not json"
    assert record.rating == {"net_score": 2} and record.rating_error is None  # read as stored, not re-validated
    assert record.name == "x-model"  # no readable metadata.name: the normalized name stands in
    assert record.dataset_id == "d1" and record.code_url is None


def test_a_record_takes_its_name_from_the_serialized_artifact():
    artifact = {"metadata": {"name": "BERT base", "id": "a1", "type": "model"}, "data": {"url": "u"}}
    record = record_from_item({"artifact_id": "a1", "artifact": json.dumps(artifact), "name_normalized": "bert-base"})
    assert record.name == "BERT base" and record.artifact == artifact and record.rating is None


def test_stage_artifacts_read_string_and_map_snapshots_alike():
    snapshot = {
        "total": 2,
        "completed": 1,
        "stages": [
            {
                "stage": "prompt_engineer",
                "stage_name": "提示词工程",
                "status": "completed",
                "output_data": {"artifacts": ["prompts/a.yaml", "prompts/b.yaml"]},
            },
            {"stage": "agent_designer", "status": "pending"},
        ],
    }
    expected = [
        StageArtifact("p1", "prompt_engineer", "提示词工程", "completed", "prompts/a.yaml"),
        StageArtifact("p1", "prompt_engineer", "提示词工程", "completed", "prompts/b.yaml"),
    ]
    assert stage_artifacts("p1", read_snapshot(json.dumps(snapshot, ensure_ascii=False))) == expected
    assert stage_artifacts("p1", read_snapshot(snapshot)) == expected
    assert stage_artifacts("p1", read_snapshot(None)) == []


@pytest.mark.parametrize(
    ("snapshot", "error"),
    [
        ('{"stages": [', "stages_snapshot: invalid JSON"),
        ('{"stages": {"a": 1}}', "stages_snapshot: 'stages' must be a list"),
        ({"stages": ["oops"]}, "stages_snapshot: stages[0] must be an object"),
        ({"stages": [{"stage": "s", "output_data": {"artifacts": "a.txt"}}]}, "output_data.artifacts must be a list"),
        ({"stages": [{"stage": "s", "output_data": {"artifacts": [3]}}]}, "output_data.artifacts must hold strings"),
    ],
)
def test_malformed_snapshots_become_error_rows(snapshot, error):
    rows = stage_artifacts("p1", read_snapshot(snapshot))
    assert len(rows) == 1 and rows[0].project_id == "p1" and error in rows[0].error and rows[0].path is None


def test_a_rating_read_from_its_stored_text_holds_exact_numbers_and_is_valid():
    rating = read_json('{"net_score": 0.12345678901234567890123, "net_score_latency": 1e2, "size_score": {"pc": 0.5}}')
    assert rating_problems(rating) == []
    assert [(score.key, score.score, score.latency) for score in sub_scores(rating)] == [
        ("net_score", Decimal("0.12345678901234567890123"), 100),
        ("size_score", None, None),
    ]
