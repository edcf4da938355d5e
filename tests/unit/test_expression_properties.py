"""Property-based tests of the update builder: whatever the names and values, expressions hold
only aliases, and every alias is declared and every declared one used (AWS refuses unused ones,
moto does not), with no empty map ever sent."""

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.dynamo.expressions import (
    Path,
    Update,
    begins_with,
    compare,
    contains,
    equals,
    exists,
    expression_kwargs,
    not_exists,
)
from tests.strategies import attribute_names, json_values

EXAMPLES = 300
ALIAS = re.compile(r"#n\d+|:v\d+")
# What is left of an expression once its aliases are taken out: syntax only, never a name or value.
SYNTAX = re.compile(
    r"(SET|REMOVE|ADD|AND|OR|NOT|if_not_exists|list_append|attribute_exists|attribute_not_exists|contains|"
    r"begins_with|<>|<=|>=|[=<>(),.\[\]\d\s])*"
)

paths = st.lists(st.one_of(attribute_names, st.integers(0, 20)), min_size=1, max_size=4).filter(
    lambda segments: isinstance(segments[0], str)
)


def top_level_distinct(names: list[str]) -> list[Path]:
    return [Path(name) for name in dict.fromkeys(names)]


@st.composite
def updates(draw) -> tuple[Update, set[str]]:
    """An update of distinct top-level attributes (paths may not overlap) and the names it uses."""
    targets = top_level_distinct(draw(st.lists(attribute_names, min_size=1, max_size=8)))
    update = Update()
    for path in targets:
        action = draw(st.sampled_from(["set", "set_if_not_exists", "append", "remove", "add"]))
        if action == "remove":
            update.remove(path)
        elif action == "append":
            update.append(path, draw(st.lists(json_values, max_size=3)))
        elif action == "add":
            update.add(path, draw(st.integers(-5, 5)))
        else:
            getattr(update, action)(path, draw(json_values))
    return update, {path.segments[0] for path in targets}


@st.composite
def conditions(draw):
    def leaf(path_segments, value):
        path = Path(*path_segments)
        kind = draw(st.sampled_from(["exists", "not_exists", "equals", "compare", "contains", "begins_with"]))
        if kind in ("exists", "not_exists"):
            return (exists if kind == "exists" else not_exists)(path)
        if kind == "compare":
            return compare(path, draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="])), value)
        if kind == "begins_with":
            return begins_with(path, str(value))
        return (equals if kind == "equals" else contains)(path, value)

    condition = leaf(draw(paths), draw(json_values))
    for _ in range(draw(st.integers(0, 3))):
        other = leaf(draw(paths), draw(json_values))
        condition = draw(st.sampled_from([condition & other, condition | other, ~other & condition]))
    return condition


def assert_well_formed(kwargs: dict) -> None:
    expressions = [value for key, value in kwargs.items() if key.endswith("Expression")]
    used = {alias for expression in expressions for alias in ALIAS.findall(expression)}
    declared = set(kwargs.get("ExpressionAttributeNames", {})) | set(kwargs.get("ExpressionAttributeValues", {}))
    assert used == declared
    assert all(kwargs[maps] for maps in ("ExpressionAttributeNames", "ExpressionAttributeValues") if maps in kwargs)
    for expression in expressions:
        assert SYNTAX.fullmatch(ALIAS.sub("", expression)), expression


@settings(max_examples=EXAMPLES, deadline=None)
@given(updates(), st.none() | conditions())
def test_update_expressions_hold_only_declared_aliases(update_and_names, condition):
    update, names = update_and_names
    kwargs = expression_kwargs(update=update, condition=condition)
    assert_well_formed(kwargs)
    assert names <= set(kwargs["ExpressionAttributeNames"].values())


@settings(max_examples=EXAMPLES, deadline=None)
@given(conditions(), st.lists(paths.map(lambda segments: Path(*segments)), max_size=3))
def test_filters_and_projections_hold_only_declared_aliases(condition, projection):
    kwargs = expression_kwargs(filter=condition, projection=projection)
    assert_well_formed(kwargs)
    if projection:
        assert kwargs["ProjectionExpression"].count(",") == len(projection) - 1


@settings(max_examples=EXAMPLES, deadline=None)
@given(paths)
def test_a_path_prints_and_parses_back_when_its_names_need_no_escaping(segments):
    assume(all(isinstance(s, int) or re.fullmatch(r"[^.\[\]]+", s) for s in segments))
    path = Path(*segments)
    assert Path.parse(str(path)) == path
