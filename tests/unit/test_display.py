"""The one conversion of stored values for display (core/display.py)."""

from decimal import Decimal

from boto3.dynamodb.types import Binary

from core.display import CUT, DISPLAY_MAX_DEPTH, MAX_PROBLEMS_LISTED, cell_text, displayed, displayed_text
from core.stored_json import write_json


def test_numbers_stay_exact_and_integers_of_up_to_38_digits_are_ints():
    shown = displayed(
        [Decimal("5"), Decimal("-0"), Decimal("9" * 38), Decimal("1E+125"), Decimal("0.1"), Decimal("1E-130")]
    )
    assert shown.value == [5, 0, int("9" * 38), Decimal("1E+125"), Decimal("0.1"), Decimal("1E-130")]
    assert [type(number) for number in shown.value[:3]] == [int, int, int]
    assert write_json(shown.value) == f"[5, 0, {'9' * 38}, 1E+125, 0.1, 1E-130]"
    assert shown.error is None


def test_binary_sets_and_tuples_become_json_values():
    shown = displayed(
        {
            "b": Binary(b"\xff\xfe"),
            "ns": {Decimal("2"), Decimal("-1.5")},
            "ss": {"b", "a"},
            "bs": {Binary(b"\x01"), Binary(b"\x00")},
        }
    )
    assert shown.value == {
        "b": {"$binary": "//4="},
        "ns": [Decimal("-1.5"), 2],
        "ss": ["a", "b"],
        "bs": [{"$binary": "AA=="}, {"$binary": "AQ=="}],
    }


def test_invalid_unicode_is_replaced_and_reported_where_it_was():
    shown = displayed({"stages": [{"stage_name": "bad \ud800", "\udfffkey": "ok"}]}, "stages_snapshot")
    assert shown.value == {"stages": [{"stage_name": "bad \ufffd", "\ufffdkey": "ok"}]}
    assert "stages_snapshot.stages[0].stage_name: text that is not valid Unicode" in shown.error
    assert "stages_snapshot.stages[0].\ufffdkey: a name that is not valid Unicode" in shown.error
    write_json(shown.value).encode("utf-8")  # encodable now


def test_nesting_past_the_limit_is_cut_there():
    value = "bottom"
    for _ in range(600):
        value = {"e": value}
    shown = displayed(value)
    depth, current = 0, shown.value
    while isinstance(current, dict) and "e" in current:
        depth, current = depth + 1, current["e"]
    assert depth == DISPLAY_MAX_DEPTH and CUT in current
    assert f"nested more than {DISPLAY_MAX_DEPTH} levels deep" in shown.error


def test_nan_is_null_and_many_problems_are_summarised():
    shown = displayed([float("nan"), Decimal("NaN")] + ["\ud800"] * 20)
    assert shown.value[:2] == [None, None]
    assert shown.error.count(";") == MAX_PROBLEMS_LISTED and shown.error.endswith("and 12 more")


def test_text_for_pages_is_short_and_valid():
    assert displayed_text({"a": Decimal("0.12345678901234567890123")}) == '{"a": 0.12345678901234567890123}'
    assert displayed_text("x" * 30, limit=10) == "x" * 10 + "…"
    assert cell_text(None) == "—" and cell_text(Binary(b"\xff")) == '{"$binary": "/w=="}'
