from decimal import Decimal

import pytest

from core.dynamo.item_size import ITEM_SIZE_LIMIT, item_size, number_size, value_size


def test_documented_example_of_string_and_number_attributes():
    # The ddbitemsizer README example, computed by AWS's published rules: 141 bytes.
    item = {
        "itemType": "SLOT",
        "id": "abc1231",
        "hostName": "Harry Mason",
        "timeSlot": "February 23, 1999",
        "slotStatus": "OPEN",
        "createdAt": "February 1, 1999",
        "updatedAt": "February 1, 1999",
        "expiresAt": Decimal(2099),
    }
    assert item_size(item) == 141


def test_documented_example_with_binary():
    # dyno-item-size's README example: 32 bytes.
    assert item_size({"string": "string", "number": 27, "buffer": b"buffer"}) == 32


def test_strings_count_utf8_bytes_of_names_and_values():
    assert item_size({"名": "提示词工程"}) == 3 + 15


@pytest.mark.parametrize(
    "number, size",
    [
        (0, 1),
        (1, 2),
        (12, 2),
        (123, 3),
        (12345, 4),
        (-1, 3),
        (Decimal("0.5"), 2),
        (Decimal("12.34"), 3),
        (Decimal("1.50"), 3),
        (Decimal("00012"), 2),
        (0.25, 2),
        (10**37, 20),
        (10**37 + 1, 20),
        (Decimal("-0.001"), 4),
    ],
)
def test_numbers_by_significant_digits(number, size):
    assert number_size(number) == size


def test_maps_and_lists_cost_three_bytes_plus_one_per_element():
    assert value_size({}) == 3
    assert value_size([]) == 3
    assert value_size(["ab", True]) == 3 + (2 + 1) + (1 + 1)
    assert value_size({"k": "vv", "n": None}) == 3 + (1 + 2 + 1) + (1 + 1 + 1)
    assert value_size({"a": [{"b": 1}]}) == 3 + 1 + (3 + (3 + 1 + 2 + 1) + 1) + 1


def test_sets_sum_their_elements():
    assert value_size({"ab", "c"}) == 3
    assert value_size({Decimal(1), Decimal(123)}) == 2 + 3


def test_limit_is_400_kib():
    assert ITEM_SIZE_LIMIT == 400 * 1024


def test_unknown_types_are_refused():
    with pytest.raises(TypeError):
        value_size(object())
