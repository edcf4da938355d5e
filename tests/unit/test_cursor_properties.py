"""Property-based tests of the cursor codec: any key DynamoDB can return comes back exactly for its
own listing, and anything else (another listing's cursor, any edit, any text, even a validly
signed payload of another shape) is an InvalidCursor, never another exception."""

import string

import pytest
from django.core import signing
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dynamo.cursors import decode_cursor, encode_cursor
from core.errors import InvalidCursor
from tests.strategies import attribute_names, dynamodb_numbers, json_values

EXAMPLES = 300
# LastEvaluatedKey: the table's key and, for an index, the index's key (strings or numbers).
last_keys = st.dictionaries(
    attribute_names, st.text(min_size=1, max_size=40) | dynamodb_numbers, min_size=1, max_size=3
)
scopes = st.text(max_size=40)
CURSOR_ALPHABET = string.ascii_letters + string.digits + "-_:."


@settings(max_examples=EXAMPLES, deadline=None)
@given(last_keys, scopes)
def test_a_cursor_gives_back_its_key_for_its_own_listing_only(key, scope):
    cursor = encode_cursor(key, scope)
    assert set(cursor) <= set(CURSOR_ALPHABET)  # safe in a query string as it is
    assert decode_cursor(cursor, scope) == key
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, scope + "/other")


@settings(max_examples=EXAMPLES, deadline=None)
@given(last_keys, scopes, st.data())
def test_any_edit_of_a_cursor_is_refused(key, scope, data):
    cursor = encode_cursor(key, scope)
    position = data.draw(st.integers(0, len(cursor) - 1))
    replacement = data.draw(st.sampled_from(CURSOR_ALPHABET).filter(lambda char: char != cursor[position]))
    edit = data.draw(st.sampled_from(["replace", "delete", "insert"]))
    edited = {
        "replace": cursor[:position] + replacement + cursor[position + 1 :],
        "delete": cursor[:position] + cursor[position + 1 :],
        "insert": cursor[:position] + replacement + cursor[position:],
    }[edit]
    with pytest.raises(InvalidCursor):
        decode_cursor(edited, scope)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=200) | st.text(CURSOR_ALPHABET, max_size=200), scopes)
def test_any_text_is_refused(text, scope):
    with pytest.raises(InvalidCursor):
        decode_cursor(text, scope)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    json_values
    | st.dictionaries(st.text(max_size=5), st.dictionaries(st.sampled_from(["S", "N", "B", "M"]), json_values)),
    scopes,
)
def test_a_signed_payload_of_another_shape_is_refused(payload, scope):
    # Only the secret key can sign, but cursors outlive deployments: one written by another
    # version of the codec must be a 400, not a 500.
    cursor = signing.dumps(payload, salt=f"core.dynamo.cursor:{scope}", compress=True)
    try:
        key = decode_cursor(cursor, scope)
    except InvalidCursor:
        return
    assert key and all(isinstance(name, str) for name in key)
    assert encode_cursor(key, scope) and decode_cursor(encode_cursor(key, scope), scope) == key
