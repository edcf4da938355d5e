from decimal import Decimal

import pytest

from core.dynamo.expressions import Path, Update, equals, exists, expression_kwargs, not_exists
from core.dynamo.values import from_dynamodb, to_dynamodb
from core.errors import InvalidInput


def test_reserved_words_are_always_aliased():
    kwargs = expression_kwargs(update=Update().set("status", "done").set("name", "n").set("data", {"a": 1}))
    assert kwargs["UpdateExpression"] == "SET #n0 = :v0, #n1 = :v1, #n2 = :v2"
    assert kwargs["ExpressionAttributeNames"] == {"#n0": "status", "#n1": "name", "#n2": "data"}
    assert kwargs["ExpressionAttributeValues"] == {":v0": "done", ":v1": "n", ":v2": {"a": Decimal(1)}}


def test_remove_only_update_has_no_values_map_at_all():
    kwargs = expression_kwargs(update=Update().remove("execution_steps_s3_key"))
    assert kwargs == {"UpdateExpression": "REMOVE #n0", "ExpressionAttributeNames": {"#n0": "execution_steps_s3_key"}}
    assert "ExpressionAttributeValues" not in kwargs


def test_no_expression_gives_no_maps():
    assert expression_kwargs() == {}


def test_nested_paths_alias_each_name_once_and_keep_indexes():
    update = Update().set("stages_snapshot.stages[3].status", "running").set("stages_snapshot.completed", 2)
    kwargs = expression_kwargs(update=update)
    assert kwargs["UpdateExpression"] == "SET #n0.#n1[3].#n2 = :v0, #n0.#n3 = :v1"
    assert kwargs["ExpressionAttributeNames"] == {
        "#n0": "stages_snapshot",
        "#n1": "stages",
        "#n2": "status",
        "#n3": "completed",
    }


def test_path_parsing_and_literal_names():
    assert Path.parse("a.b[10][2].c").segments == ("a", "b", 10, 2, "c")
    assert str(Path("odd.name", 1)) == "odd.name[1]"
    for bad in ["", "a.", ".a", "a..b", "a[x]", "a[-1]", "[1]", "a b[", "a]"]:
        with pytest.raises(ValueError):
            Path.parse(bad)


def test_literal_dotted_name_is_one_alias():
    kwargs = expression_kwargs(update=Update().set(Path("a.b"), 1))
    assert kwargs["ExpressionAttributeNames"] == {"#n0": "a.b"}


def test_set_remove_add_append_and_if_not_exists_together():
    update = (
        Update()
        .set_if_not_exists("created_at", "2025-01-01T00:00:00Z")
        .append("logs", ["line"])
        .remove("stale")
        .add("retries", 1)
    )
    kwargs = expression_kwargs(update=update)
    assert kwargs["UpdateExpression"] == (
        "SET #n0 = if_not_exists(#n0, :v0), #n1 = list_append(if_not_exists(#n1, :v1), :v2) REMOVE #n2 ADD #n3 :v3"
    )
    assert kwargs["ExpressionAttributeValues"][":v1"] == []


def test_conditions_share_aliases_with_the_update():
    kwargs = expression_kwargs(
        update=Update().set("status", "done"),
        condition=equals("status", "running") & exists("job_id") & ~not_exists("updated_at"),
    )
    assert kwargs["ConditionExpression"] == (
        "((#n0 = :v1 AND attribute_exists(#n1)) AND (NOT attribute_not_exists(#n2)))"
    )
    assert kwargs["ExpressionAttributeNames"]["#n0"] == "status"


def test_overlapping_paths_are_refused_before_dynamodb_sees_them():
    with pytest.raises(ValueError, match="overlap"):
        expression_kwargs(update=Update().set("a.b", 1).remove("a"))


def test_empty_update_is_refused():
    with pytest.raises(ValueError):
        expression_kwargs(update=Update())


def test_floats_become_exact_decimals():
    assert to_dynamodb(0.1) == Decimal("0.1")
    assert to_dynamodb({"x": [1.5, 2, True, None]}) == {"x": [Decimal("1.5"), Decimal(2), True, None]}
    assert isinstance(to_dynamodb(True), bool)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("Infinity")])
def test_nan_and_infinity_are_rejected_with_their_path(bad):
    with pytest.raises(InvalidInput, match=r"value\.steps\[1\]\.x: NaN and Infinity"):
        to_dynamodb({"steps": [{}, {"x": bad}]})


def test_numbers_beyond_38_digits_and_odd_types_are_rejected():
    with pytest.raises(InvalidInput, match="38"):
        to_dynamodb(10**40 + 1)
    with pytest.raises(InvalidInput):
        to_dynamodb(object())
    with pytest.raises(InvalidInput):
        to_dynamodb({1: "non-string key"})
    with pytest.raises(InvalidInput):
        to_dynamodb(set())


def test_read_values_become_json_ready():
    assert from_dynamodb({"n": Decimal("3"), "f": Decimal("0.5"), "s": {"b", "a"}, "l": [Decimal(1)]}) == {
        "n": 3,
        "f": 0.5,
        "s": ["a", "b"],
        "l": [1],
    }
    assert isinstance(from_dynamodb(Decimal("3")), int)
