"""The steps object format, job ids as S3 path segments, and the limits every writer is held to."""

import gzip
import json
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from core.dynamo.errors import dynamodb_errors, surely_not_applied
from core.dynamo.values import MAX_NESTING_LEVELS, to_dynamodb
from core.errors import InvalidInput
from jobs.steps_store import (
    StepsTooLarge,
    StepsUnreadable,
    decode_steps,
    encode_steps,
    job_id_of_key,
    steps_key,
    validate_job_id,
)

STEPS = [{"step_order": 1, "step_name": "提示词工程", "duration_ms": 12.5, "output": {"text": "ok", "n": None}}]


@pytest.mark.parametrize("job_id", ["job_01JC8Y", "a", "x" * 255, "job.v2:run=3+retry@host-1", "..x", "a..b"])
def test_safe_job_ids_become_one_path_segment(job_id):
    assert steps_key(job_id) == f"jobs/{job_id}/execution_steps.json"
    assert job_id_of_key(steps_key(job_id)) == job_id


@pytest.mark.parametrize(
    "job_id", ["", ".", "..", "a/b", "../etc", "a\\b", "job\n", "job 1", "x" * 256, "jöb", "a?b", "a%2Fb", None, 7]
)
def test_unsafe_job_ids_are_refused(job_id):
    with pytest.raises(InvalidInput, match="no '/', no '..'"):
        validate_job_id(job_id)


@pytest.mark.parametrize(
    "key",
    [
        "jobs/a/b/execution_steps.json",
        "jobs/../execution_steps.json",
        "other/j1/execution_steps.json",
        "jobs/j1/x.json",
    ],
)
def test_keys_of_another_form_name_no_job(key):
    assert job_id_of_key(key) is None


def test_plain_json_round_trips_unicode_without_escapes():
    body = encode_steps(STEPS)
    assert "提示词工程".encode() in body
    assert decode_steps(body) == STEPS


def test_gzip_is_read_by_header_or_by_magic_bytes():
    body = gzip.compress(encode_steps(STEPS))
    assert decode_steps(body, content_encoding="gzip") == STEPS
    assert decode_steps(body) == STEPS
    assert decode_steps(body, content_encoding="GZIP") == STEPS


def test_a_byte_order_mark_is_accepted():
    assert decode_steps(b"\xef\xbb\xbf" + encode_steps(STEPS)) == STEPS


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"\xff\xfe[]", "not UTF-8"),
        (b"[{", "invalid JSON at line 1, column 3"),
        (b"", "invalid JSON"),
        (b'[{"x": NaN}]', "NaN is not a JSON number"),
        (b'[{"x": Infinity}]', "Infinity is not a JSON number"),
        (b'[{"duration": 1e999}]', "1e999 is too large for a number"),
        (b'[{"n": ' + b"9" * 5000 + b"}]", "a number has more digits than can be read"),
        (b'{"steps": []}', "not a list of step objects"),
        (b"[1, 2]", "not a list of step objects"),
        (b"\x1f\x8bnot gzip at all", "not valid gzip"),
        (gzip.compress(b"[]")[:-12], "truncated"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_bodies_say_why(body, reason):
    with pytest.raises(StepsUnreadable, match=reason):
        decode_steps(body)


def test_a_gzip_bomb_is_refused_at_the_byte_cap(settings):
    settings.EXECUTION_STEPS_MAX_BYTES = 1000
    bomb = gzip.compress(json.dumps([{"x": "a" * 5000}]).encode())
    assert len(bomb) < 1000
    with pytest.raises(StepsTooLarge, match="more than 1,000 bytes of JSON"):
        decode_steps(bomb)


def test_a_plain_body_past_the_byte_cap_is_refused_while_it_streams(settings):
    settings.EXECUTION_STEPS_MAX_BYTES = 1000
    read = []

    def chunks():
        for _ in range(100):
            read.append(1)
            yield b" " * 100

    with pytest.raises(StepsTooLarge, match="EXECUTION_STEPS_MAX_BYTES"):
        decode_steps(chunks())
    assert len(read) == 11  # stopped at the chunk that passed the cap, not read to the end


def test_a_body_at_the_byte_cap_is_read(settings):
    body = encode_steps(STEPS)
    settings.EXECUTION_STEPS_MAX_BYTES = len(body)
    assert decode_steps(gzip.compress(body)) == STEPS
    assert decode_steps([body[:1], body[1:]]) == STEPS  # chunks of any size, the magic split too


def test_more_steps_than_the_count_cap_are_refused(settings):
    settings.EXECUTION_STEPS_MAX_COUNT = 3
    assert decode_steps(b" [ {} , {}, {} ] ") == [{}, {}, {}]
    with pytest.raises(StepsTooLarge, match="more than 3 steps"):
        decode_steps(b"[{},{},{},{}]")


@pytest.mark.parametrize(
    "body, reason",
    [(b"[{},]", "Expecting value"), (b"[{} {}]", "Expecting ','"), (b"[{}] x", "Extra data"), (b"[", "Expecting")],
)
def test_a_list_read_element_by_element_is_still_strict_json(body, reason):
    with pytest.raises(StepsUnreadable, match=reason):
        decode_steps(body)


def test_a_non_list_document_is_not_taken_for_steps():
    with pytest.raises(StepsUnreadable, match="not a list of step objects"):
        decode_steps(b'{"step_name": "x"}')


@pytest.mark.parametrize("bad", [[{"x": float("nan")}], [{"x": {1, 2}}], [{"x": object()}]])
def test_what_json_cannot_hold_is_refused_with_a_clear_error(bad):
    with pytest.raises(InvalidInput, match="cannot be written as JSON"):
        encode_steps(bad)


def nested(levels: int):
    value = "leaf"
    for _ in range(levels - 1):
        value = {"inner": value}
    return value


def test_dynamodb_nesting_limit_is_checked_before_any_request():
    assert to_dynamodb(nested(MAX_NESTING_LEVELS))["inner"]
    with pytest.raises(InvalidInput, match="at most 31 maps or lists"):
        to_dynamodb(nested(MAX_NESTING_LEVELS + 1))
    with pytest.raises(InvalidInput, match=r"execution_steps\[0\]"):
        to_dynamodb([nested(MAX_NESTING_LEVELS)], "execution_steps")


def client_error(code: str, status: int, retries: int = 0) -> ClientError:
    metadata = {"HTTPStatusCode": status, "RetryAttempts": retries}
    return ClientError({"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": metadata}, "UpdateItem")


@pytest.mark.parametrize(
    "raised, certain",
    [
        (client_error("ConditionalCheckFailedException", 400), True),
        (client_error("ProvisionedThroughputExceededException", 400), True),
        (client_error("ValidationException", 400), True),
        (client_error("ResourceNotFoundException", 400), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (client_error("InternalServerError", 500), False),
        # botocore sent it more than once: an earlier attempt may have been applied.
        (client_error("ConditionalCheckFailedException", 400, retries=1), False),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), False),
    ],
)
def test_a_failed_write_is_known_unapplied_only_when_it_was_refused_or_never_sent(raised, certain):
    with pytest.raises(Exception) as caught, dynamodb_errors("Jobs"):
        raise raised
    assert surely_not_applied(caught.value) is certain


@pytest.mark.parametrize("number", ["1E-130", "-1E-130", "9.9999999999999999999999999999999999999E+125", "0"])
def test_numbers_at_the_ends_of_dynamodb_range_are_kept(number):
    converted = to_dynamodb([{"x": Decimal(number)}])
    assert TypeSerializer().serialize(converted)  # boto3 sends it as is


@pytest.mark.parametrize("number", [1e200, 5e-324, Decimal("1E+126"), Decimal("-1E-131")])
def test_numbers_beyond_dynamodb_range_are_refused_not_crashed_on(number):
    with pytest.raises(InvalidInput, match="outside DynamoDB's number range"):
        to_dynamodb([{"x": number}], "execution_steps")
