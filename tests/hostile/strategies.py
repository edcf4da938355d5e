"""What a hostile (or merely buggy) upstream writer can store, as hypothesis strategies: items of
every DynamoDB type and shape for the three tables, and the JSON text they hold.

Text in DynamoDB values is valid Unicode (DynamoDB stores UTF-8); JSON text inside them may hold
anything JSON can escape, lone surrogates included. Numbers are what DynamoDB holds: up to 38
significant digits, magnitudes from 1E-130 to below 1E+126; JSON text holds any number.
"""

import json
from decimal import Decimal

from hypothesis import strategies as st

# NUL, bidi controls and marks, a byte-order mark, line separators, markup, CJK, an emoji, the last code point.
ODD_CHARACTERS = "\x00\u202e\u2066\u200f\ufeff\u2028\u2029<>&\"'\\/中🙂\U0010ffff"
text = st.text(st.sampled_from(ODD_CHARACTERS) | st.characters(exclude_categories=["Cs"]), max_size=24)
names = st.text(st.sampled_from(ODD_CHARACTERS) | st.characters(exclude_categories=["Cs"]), min_size=1, max_size=10)

EDGE_NUMBERS = [
    "-0",
    "0",
    "1E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "1E-130",
    "-1E-130",
    "12345678901234567890123456789012345678",
    "0.12345678901234567890123",
]
# coefficient × 10^exponent: at most 38 digits, so exponents up to 88 keep the magnitude below 1E+126.
numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS).map(Decimal),
    st.builds(
        lambda coefficient, exponent: Decimal(f"{coefficient}E{exponent}"),
        st.integers(-(10**38) + 1, 10**38 - 1),
        st.integers(-130, 88),
    ),
)
binary = st.binary(max_size=24)
scalars = st.one_of(st.none(), st.booleans(), text, numbers, binary)
sets = st.one_of(
    st.frozensets(text, min_size=1, max_size=5),
    st.frozensets(numbers, min_size=1, max_size=5),
    st.frozensets(binary, min_size=1, max_size=5),
)
values = st.recursive(
    scalars | sets,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(names, children, max_size=5),
    max_leaves=20,
)
MAX_LEVELS = 32  # a top-level value is level 1


def nested_to(levels: int, leaf=None) -> object:
    """A value `levels` deep: maps and lists alternating around `leaf`."""
    value = "deepest" if leaf is None else leaf
    for level in range(levels - 1):
        value = {"n": value} if level % 2 else [value]
    return value


deepest = st.integers(1, MAX_LEVELS).map(nested_to)
any_value = st.one_of(values, deepest)

# ---- JSON text, as other services store it in a string attribute ----

ODD_JSON_SCALARS = [
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\udc00\\ud800"',
    '"\\u0000"',
    '"\\u202eevil"',
    "-0",
    "1E+125",
    "1e-400",
    "9" * 400,
    "-" + "9" * 400,
    "1.7976931348623157e308",
    "0.12345678901234567890123",
    "true",
    "null",
    '""',
    "[]",
    "{}",
]
json_scalar_text = st.one_of(
    st.sampled_from(ODD_JSON_SCALARS),
    st.integers().map(str),
    text.map(json.dumps),
    numbers.map(str),
)
json_key_text = st.one_of(st.sampled_from(['"\\ud800"', '""', '"a"', '"stage"']), text.map(json.dumps))
json_text = st.recursive(
    json_scalar_text,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(json_key_text, children), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"
        ),
    ),
    max_leaves=12,
)
deep_json_text = st.integers(33, 900).map(lambda depth: '{"e":' * depth + '"bottom"' + "}" * depth)
odd_json_text = st.one_of(json_text, deep_json_text)

DATES = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2025-11-23T12:00:00Z",
    "2025-11-23T12:05:00.120Z",
    "2025-02-30T00:00:00Z",
    "yesterday",
    "",
]
date_text = st.sampled_from(DATES).map(json.dumps) | json_scalar_text
STATUS_TEXT = ["pending", "running", "completed", "failed", "skipped", "cancelled", "FAILED", "<b>x</b>"]


def _object_text(fields: dict) -> str:
    return "{" + ",".join(f"{json.dumps(name)}:{value}" for name, value in fields.items()) + "}"


stage_text = st.fixed_dictionaries(
    {},
    optional={
        "stage": json_scalar_text,
        "stage_number": json_scalar_text,
        "stage_name": json_scalar_text,
        "status": st.sampled_from(STATUS_TEXT).map(json.dumps) | json_scalar_text,
        "started_at": date_text,
        "completed_at": date_text,
        "error": odd_json_text,
        "logs": st.lists(odd_json_text, max_size=4).map(lambda items: "[" + ",".join(items) + "]") | json_text,
        "output_data": st.lists(json_scalar_text, max_size=4).map(
            lambda paths: '{"artifacts":[' + ",".join(paths) + "]}"
        )
        | json_text,
        "x_extra": odd_json_text,
    },
).map(_object_text)
snapshot_text = st.one_of(
    st.builds(
        lambda total, stages: f'{{"total":{total},"completed":0,"stages":[{",".join(stages)}]}}',
        json_scalar_text,
        st.lists(stage_text, max_size=6),
    ),
    odd_json_text,
    st.just('{"stages": [tru'),
)
# A snapshot as a map: the contract's shape, with DynamoDB values of any type in its fields.
stage_map = st.fixed_dictionaries(
    {},
    optional={
        "stage": text | any_value,
        "stage_name": text | any_value,
        "status": st.sampled_from(STATUS_TEXT) | any_value,
        "started_at": st.sampled_from(DATES) | any_value,
        "completed_at": st.sampled_from(DATES) | any_value,
        "error": any_value,
        "logs": st.lists(any_value, max_size=4) | any_value,
        "output_data": st.fixed_dictionaries({"artifacts": st.lists(text, max_size=4)}) | any_value,
    },
)
snapshot_map = st.fixed_dictionaries(
    {"stages": st.lists(stage_map, max_size=6)}, optional={"total": numbers, "completed": numbers}
)
snapshot = st.one_of(snapshot_text, snapshot_map, any_value)

ODD_URLS = [
    "http://[",
    "https://[::1",
    "http://x.test:99999999/",
    "javascript:alert(1)",
    "https://example.com/a b<c>",
    "",
    "//no-scheme",
    "https://xn--80ak6aa92e.com/\u202e",
]
url = st.sampled_from(ODD_URLS) | text
rating_text = st.one_of(
    st.lists(
        st.tuples(
            st.sampled_from(['"net_score"', '"bus_factor"', '"size_score"', '"license_latency"', '"\\ud800"']),
            json_scalar_text | json_text,
        ),
        max_size=5,
    ).map(lambda pairs: "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"),
    odd_json_text,
)
extra_attributes = st.dictionaries(
    names.filter(lambda name: not name.startswith(("x_",))).map("x_".__add__), any_value, max_size=4
)


def project_items(project_id: str):
    return st.builds(
        lambda fields, extra: {"project_id": project_id, **extra, **fields},
        st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(STATUS_TEXT) | any_value,
                "current_stage": text | any_value,
                "updated_at": st.sampled_from(DATES) | any_value,
                "stages_snapshot": snapshot,
            },
        ),
        extra_attributes,
    )


step_map = st.fixed_dictionaries(
    {},
    optional={
        "step_order": numbers | any_value,
        "step_name": text | any_value,
        "status": st.sampled_from(STATUS_TEXT) | any_value,
        "duration_ms": numbers | any_value,
        "error": any_value,
        "output": any_value,
    },
)
steps_text = st.lists(stage_text | odd_json_text, max_size=5).map(lambda items: "[" + ",".join(items) + "]")


def job_items(job_id: str):
    own_key = f"jobs/{job_id}/execution_steps.json"
    return st.builds(
        lambda fields, extra: {"job_id": job_id, **extra, **fields},
        st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(STATUS_TEXT) | any_value,
                "updated_at": st.sampled_from(DATES) | any_value,
                "execution_steps": st.lists(step_map, max_size=6) | any_value,
                "execution_steps_s3_key": st.sampled_from(
                    [own_key, "secret/config.json", "jobs/other/execution_steps.json"]
                )
                | any_value,
            },
        ),
        extra_attributes,
    )


def artifact_items(artifact_id: str):
    return st.builds(
        lambda fields, extra: {"artifact_id": artifact_id, **extra, **fields},
        st.fixed_dictionaries(
            {},
            optional={
                "artifact_type": st.sampled_from(["model", "dataset", "code"]) | any_value,
                "url": url | any_value,
                "name_normalized": text | any_value,
                "artifact": odd_json_text | any_value,
                "rating": rating_text | any_value,
                "dataset_id": st.sampled_from(["a000", "missing", "x" * 2048]) | text | any_value,
                "code_id": text | any_value,
                "code_url": url,
            },
        ),
        extra_attributes,
    )
