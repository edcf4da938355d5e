"""The strict reader of stored JSON text and its writer: what is read is written back as it was."""

import json
from decimal import Decimal

import pytest

from core.stored_json import read_json, write_json
from jobs.presentation import as_text, total_duration
from jobs.steps_store import decode_steps


@pytest.mark.parametrize(
    "text",
    [
        '{"ratio": 0.12345678901234567890123}',
        '{"count": 1e5, "small": 1E-7, "signed": -2.50, "exp": 1.5e+300}',
        '{"total": 2.0, "zero": -0.0, "int": 12345678901234567890123456789012345678901234567890}',
        '[1, 2.0, [3.25, {"a": 1e5}], "中文", null, true, false]',
    ],
)
def test_numbers_are_written_back_as_the_text_they_were_read_from(text):
    assert write_json(read_json(text), separators=(", ", ": ")) == text


def test_numbers_read_are_exact_decimals_never_floats():
    value = read_json('{"ratio": 0.12345678901234567890123, "count": 1e5, "n": 7}')
    assert value["ratio"] == Decimal("0.12345678901234567890123")
    assert value["count"] == 100000 and isinstance(value["count"], Decimal)
    assert value["n"] == 7 and isinstance(value["n"], int)
    assert not any(isinstance(number, float) for number in value.values())


def test_decimals_from_dynamodb_are_written_exactly():
    assert write_json({"a": Decimal("0.12345678901234567890123"), "b": Decimal("1E+5")}) == (
        '{"a": 0.12345678901234567890123, "b": 1E+5}'
    )


def test_a_lone_surrogate_read_is_written_back_escaped_as_it_was():
    text = '{"stage_name": "bad \\ud800", "ok": "中"}'
    written = write_json(read_json(text))
    written.encode("utf-8")  # DynamoDB takes it
    assert json.loads(written) == json.loads(text)


@pytest.mark.parametrize("text", ["1e999", "-1E400", "NaN", "Infinity"])
def test_numbers_no_json_response_could_carry_are_still_refused(text):
    with pytest.raises(ValueError, match="invalid JSON"):
        read_json(text)


def test_steps_read_from_s3_keep_exact_numbers_and_still_show_their_durations():
    steps = decode_steps(b'[{"step_name": "a", "duration_ms": 1500.5, "cost": 0.12345678901234567890123}]')
    assert steps[0]["cost"] == Decimal("0.12345678901234567890123")
    assert total_duration(steps) == "1.5s"
    assert '"cost": 0.12345678901234567890123' in as_text(steps[0])  # a number, not a quoted string
