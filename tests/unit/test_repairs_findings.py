"""Pure parts of the stale-key repairs: keys that cannot be followed, item fingerprints, tokens."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.repairs.findings import (
    BOTH_PRESENT,
    Finding,
    ItemState,
    fingerprint,
    human_seconds,
)
from jobs.repairs.kinds import KINDS
from jobs.steps_store import StoredObject, foreign_key_problem, job_id_of_key, key_names, names_nothing


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("jobs/j1/execution_steps.json", None),
        (None, None),  # names nothing: a stale key, not a foreign one
        ("", None),
        ("jobs/j2/execution_steps.json", "is job j2's, not this job's jobs/j1/execution_steps.json"),
        ("jobs/j1/steps-v2.json", "is not this job's"),
        ("secret/config.json", "'secret/config.json' is not this job's"),
        ("jobs/../j1/execution_steps.json", "is not this job's"),
        (Decimal(7), "not a string but a Decimal"),
        (Binary(b"jobs/j1/execution_steps.json"), "not a string but a Binary"),
        (["jobs/j1/execution_steps.json"], "not a string but a list"),
        ({"key": "jobs/j1/execution_steps.json"}, "not a string but a dict"),
    ],
)
def test_only_the_jobs_own_key_is_followed(key, problem):
    found = foreign_key_problem("j1", key)
    assert found is None if problem is None else problem in found


def test_a_job_whose_id_cannot_name_an_object_has_no_own_key():
    assert "cannot name an S3 object" in foreign_key_problem("a/b", "jobs/a/b/execution_steps.json")


def test_only_null_and_empty_keys_name_nothing():
    assert names_nothing(None) and names_nothing("")
    assert not names_nothing(Decimal(1)) and not names_nothing("other/x.json") and not names_nothing(Binary(b""))


def test_a_key_of_any_type_names_the_objects_it_holds():
    key = "jobs/j1/execution_steps.json"
    for stored in (key, Binary(key.encode()), [key], {key}, {"k": [Binary(key.encode())]}, [[key, 1]]):
        assert key in key_names(stored)
    assert key_names(Decimal(1)) == set() and key_names(None) == set() and key_names(True) == set()
    assert key_names(Binary(b"\xff")) == {"\ufffd"}


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


# Job ids and keys as upstream may store them: NUL, lone surrogates, characters past the BMP
# (whose UTF-16 order differs from code point order), and ids that are prefixes of one another.
odd_text = st.text(st.sampled_from(["a", "b", "\x00", "\x01", "\ud800", "\udfff", "\uffff", "é", "😀"]), max_size=4)
odd_findings = st.builds(
    Finding,
    kind=st.sampled_from(KINDS[:2]),
    job_id=odd_text | st.text(st.characters(exclude_categories=())),
    s3_key=st.none() | odd_text,
    detail=st.just(""),
)


@settings(max_examples=1000, deadline=None)
@given(odd_findings, odd_findings)
def test_order_bytes_compare_as_the_sort_key_does(first, second):
    assert (first.order_bytes < second.order_bytes) == (first.sort_key < second.sort_key)
    assert (first.order_bytes == second.order_bytes) == (first.sort_key == second.sort_key)


def test_order_bytes_keep_the_boundary_between_job_id_and_key():
    first = Finding(kind=BOTH_PRESENT, job_id="a", s3_key="b", detail="")
    second = Finding(kind=BOTH_PRESENT, job_id="a\x00", s3_key="a", detail="")
    assert first.sort_key < second.sort_key and first.order_bytes < second.order_bytes
