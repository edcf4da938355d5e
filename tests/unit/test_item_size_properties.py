"""Property-based tests of the item size calculator, against a second reading of AWS's sizing rules
written over DynamoDB's wire format (what boto3 actually sends) instead of Python values."""

from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dynamo.item_size import item_size, number_size, value_size
from tests.strategies import attribute_names, dynamodb_numbers, dynamodb_values

EXAMPLES = 250
items = st.dictionaries(attribute_names, dynamodb_values, max_size=6)


def wire_size(typed: dict) -> int:
    """The size of one wire-format value ({"S": ...}, {"N": "..."}, {"M": {...}}, ...)."""
    ((kind, value),) = typed.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "B":
        return len(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "N":
        return wire_number_size(value)
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + wire_size(element) + 1 for name, element in value.items())
    if kind == "L":
        return 3 + sum(wire_size(element) + 1 for element in value)
    single = {"SS": "S", "NS": "N", "BS": "B"}[kind]
    return sum(wire_size({single: element}) for element in value)


def wire_number_size(text: str) -> int:
    """From the number's text written out in full: the digits left of the point (leading zeros
    trimmed) and right of it (trailing zeros trimmed), two to a byte, plus one, plus one if negative."""
    plain = format(Decimal(text), "f")
    negative = plain.startswith("-")
    whole, _, fraction = plain.lstrip("-").partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    if not whole and not fraction:
        return 1
    return 1 + (len(whole) + 1) // 2 + (len(fraction) + 1) // 2 + negative


def wire_item_size(item: dict) -> int:
    serializer = TypeSerializer()
    return sum(len(name.encode("utf-8")) + wire_size(serializer.serialize(value)) for name, value in item.items())


@settings(max_examples=EXAMPLES, deadline=None)
@given(items)
def test_the_size_of_an_item_is_what_the_wire_format_says(item):
    assert item_size(item) == wire_item_size(item)


@settings(max_examples=EXAMPLES, deadline=None)
@given(items, items)
def test_the_size_of_an_item_is_the_sum_of_its_attributes(first, second):
    merged = {**first, **{name: value for name, value in second.items() if name not in first}}
    rest = {name: value for name, value in second.items() if name not in first}
    assert item_size(merged) == item_size(first) + item_size(rest)


@settings(max_examples=EXAMPLES, deadline=None)
@given(dynamodb_numbers)
def test_a_number_s_size_depends_on_its_value_not_its_spelling(number):
    written = format(number, "f")
    padded = "00" + written.lstrip("-") + ("000" if "." in written else ".000")
    spellings = [written, padded if number >= 0 else "-" + padded]
    assert {number_size(Decimal(spelling)) for spelling in spellings} == {number_size(number)}
    if number:
        assert number_size(-abs(number)) == number_size(abs(number)) + 1


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(dynamodb_values, max_size=5), dynamodb_values)
def test_appending_to_a_list_costs_the_element_and_one_byte(elements, extra):
    assert value_size([*elements, extra]) == value_size(elements) + value_size(extra) + 1
