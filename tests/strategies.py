"""Hypothesis strategies for the data other services write: JSON documents, DynamoDB values,
attribute names, and build snapshots in the contract's shape (with fields we do not know)."""

from decimal import Decimal

from hypothesis import strategies as st

# Any attribute name DynamoDB accepts, reserved words and expression syntax included.
RESERVED = ["status", "name", "data", "state", "size", "year", "comment", "value", "key", "order"]
attribute_names = st.one_of(
    st.sampled_from(RESERVED),
    st.sampled_from(["a.b", "x[0]", "#n0", ":v0", "a b", "提示词", "(x)", "AND", "-"]),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=20),
)
# Map keys are never empty: DynamoDB refuses an empty attribute name at any depth.
keys = st.text(min_size=1, max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)

# What the boto3 Table resource reads back: numbers as Decimal, sets, binary.
dynamodb_numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37).map(Decimal),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20, places=6),
)
dynamodb_scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=20), st.binary(max_size=20), dynamodb_numbers)
dynamodb_values = st.recursive(
    st.one_of(
        dynamodb_scalars,
        st.frozensets(st.text(max_size=8), min_size=1, max_size=4),
        st.frozensets(dynamodb_numbers, min_size=1, max_size=4),
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)

STATUSES = ["pending", "running", "completed", "failed", "skipped", "cancelled", "paused"]
unknown_fields = st.dictionaries(keys.map(lambda name: f"x_{name}"), json_values, max_size=2)


@st.composite
def stages(draw, identifier: str) -> dict:
    """One stage: any of the known fields may be missing; unknown fields ride along."""
    stage = {"stage": identifier}
    optional = {
        "stage_number": st.integers(0, 99),
        "stage_name": st.text(max_size=10),
        "status": st.sampled_from(STATUSES),
        "output_data": st.fixed_dictionaries(
            {}, optional={"artifacts": st.lists(st.text(max_size=12), max_size=3), "summary": st.text(max_size=8)}
        ),
        "logs": st.lists(st.one_of(st.text(max_size=12), st.dictionaries(keys, json_scalars, max_size=3)), max_size=3),
        "started_at": st.none() | st.just("2025-11-23T12:00:00Z"),
        "completed_at": st.none() | st.just("2025-11-23T12:04:10Z"),
        "error": st.none() | st.text(max_size=12),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            stage[name] = draw(strategy)
    return {**stage, **draw(unknown_fields)}


@st.composite
def snapshots(draw) -> dict:
    """A well-formed document: unique stage identifiers, counters that may or may not be right."""
    identifiers = draw(st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=6, unique=True))
    document = {"stages": [draw(stages(identifier)) for identifier in identifiers]}
    for counter in ("total", "completed"):
        if draw(st.booleans()):
            document[counter] = draw(st.integers(0, 20))
    return {**document, **draw(unknown_fields)}
