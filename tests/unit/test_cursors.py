import pytest
from django.core import signing

from core.dynamo.cursors import decode_cursor, encode_cursor
from core.errors import InvalidCursor


def test_round_trip_is_url_safe():
    cursor = encode_cursor({"job_id": "job-1/ä", "n": 5}, "jobs")
    assert decode_cursor(cursor, "jobs") == {"job_id": "job-1/ä", "n": 5}
    assert all(ch.isalnum() or ch in "-_:" for ch in cursor)


def test_cursor_is_opaque():
    assert "job-123" not in encode_cursor({"job_id": "job-123"}, "jobs")


def test_tampered_cursor_is_refused():
    cursor = encode_cursor({"job_id": "job-1"}, "jobs")
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    with pytest.raises(InvalidCursor):
        decode_cursor(tampered, "jobs")


def test_cursor_from_another_listing_is_refused():
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor({"job_id": "job-1"}, "jobs"), "projects")


@pytest.mark.parametrize("garbage", ["", "abc", "x" * 5000, "Zm9v:bar", None, 12])
def test_garbage_is_refused(garbage):
    with pytest.raises(InvalidCursor):
        decode_cursor(garbage, "jobs")


def test_validly_signed_but_malformed_payload_is_refused():
    forged = signing.dumps({"job_id": {"M": {}}}, salt="core.dynamo.cursor:jobs", compress=True)
    with pytest.raises(InvalidCursor):
        decode_cursor(forged, "jobs")
