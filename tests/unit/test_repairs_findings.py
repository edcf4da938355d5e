"""Pure parts of the stale-key repairs: keys that cannot be followed, item fingerprints, tokens."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary

from jobs.repairs.findings import (
    BOTH_PRESENT,
    Finding,
    ItemState,
    fingerprint,
    human_seconds,
    key_problem,
    names_nothing,
)
from jobs.steps_store import StoredObject, job_id_of_key


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("jobs/j1/execution_steps.json", None),
        ("jobs/j1/steps-v2.json", None),
        (None, "the key is null"),
        ("", "the key is empty"),
        (Decimal(7), "the key is not a string (Decimal)"),
        ("other/x.json", "points outside jobs/"),
        ("/jobs/x.json", "points outside jobs/"),
        ("jobs/../other/x.json", "'..' segments"),
        ("jobs//x.json", "empty, '.' or '..' segments"),
        ("jobs/./x.json", "'..' segments"),
    ],
)
def test_key_problems(key, problem):
    found = key_problem(key)
    assert found is None if problem is None else problem in found


def test_only_keys_that_name_nothing_may_be_dropped_without_reading():
    assert names_nothing(None) and names_nothing("") and names_nothing(Decimal(1))
    assert not names_nothing("other/x.json") and not names_nothing("jobs/a/execution_steps.json")


@pytest.mark.parametrize(
    ("key", "job_id"),
    [
        ("jobs/j-1/execution_steps.json", "j-1"),
        ("jobs/a/b/execution_steps.json", None),
        ("jobs/../execution_steps.json", None),
        ("jobs/j1\n/execution_steps.json", None),
        ("jobs/j1/report.pdf", None),
        (None, None),
    ],
)
def test_job_id_of_key(key, job_id):
    assert job_id_of_key(key) == job_id


def test_fingerprints_tell_every_stored_difference_apart():
    values = [
        None,
        True,
        "1",
        Decimal(1),
        Decimal("1.5"),
        Binary(b"1"),
        [],
        {},
        [Decimal(1)],
        ["1"],
        {"a": "1"},
        {"a": Decimal(1)},
        [{"a": "1"}, {"b": "2"}],
        [{"b": "2"}, {"a": "1"}],
        {"1", "2"},
    ]
    assert len({fingerprint(value) for value in values}) == len(values)
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [Decimal(1), Decimal(2)], "a": Decimal(1)})
    assert fingerprint({"x", "y"}) == fingerprint({"y", "x"})


def test_item_state_watches_the_steps_pair_and_updated_at_only():
    item = {"job_id": "j", "execution_steps": [{"a": "1"}], "updated_at": "t1", "status": "running"}
    assert ItemState.of(item) == ItemState.of({**item, "status": "completed"})
    assert ItemState.of(item) != ItemState.of({**item, "updated_at": "t2"})
    assert ItemState.of(item) != ItemState.of({**item, "execution_steps": [{"a": "2"}]})
    assert ItemState.of(item) != ItemState.of({**item, "execution_steps_s3_key": None})
    assert ItemState.of(item).key is None


def test_a_finding_survives_its_round_trip_through_a_form():
    stored = StoredObject(key="jobs/j/execution_steps.json", size=10, last_modified=datetime(2025, 11, 7, tzinfo=UTC))
    finding = Finding(
        kind=BOTH_PRESENT,
        job_id="j",
        s3_key=stored.key,
        detail="d",
        object=stored,
        state=ItemState.of({"execution_steps": []}),
        steps_count=0,
    )
    assert Finding.from_dict(finding.to_dict()) == finding


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (90, "90 s"), (600, "10 min"), (3600, "1 h"), (5400, "90 min")]
)
def test_human_seconds(seconds, text):
    assert human_seconds(seconds) == text
