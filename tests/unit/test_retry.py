import pytest

from core.dynamo import retry
from core.dynamo.retry import retry_on_conflict
from core.errors import ConditionFailed, Conflict


def test_retries_until_the_conditional_write_is_accepted():
    outcomes = [ConditionFailed("changed"), ConditionFailed("changed"), "written"]

    def attempt():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_on_conflict(attempt, what="project p") == "written"
    assert outcomes == []


def test_gives_up_with_a_conflict_after_the_bounded_attempts():
    calls = []

    def attempt():
        calls.append(1)
        raise ConditionFailed("changed")

    with pytest.raises(Conflict, match="project p was changed by other writers 3 times"):
        retry_on_conflict(attempt, what="project p", attempts=3)
    assert len(calls) == 3


def test_other_errors_are_not_retried():
    calls = []

    def attempt():
        calls.append(1)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        retry_on_conflict(attempt, what="x")
    assert len(calls) == 1


def test_each_wait_is_capped_so_many_attempts_stay_bounded(monkeypatch):
    waits = []
    monkeypatch.setattr(retry.time, "sleep", waits.append)

    def attempt():
        raise ConditionFailed("changed")

    with pytest.raises(Conflict):
        retry_on_conflict(attempt, what="x", attempts=20)
    assert len(waits) == 19 and max(waits) <= retry.MAX_WAIT_SECONDS
