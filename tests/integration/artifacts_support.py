"""What the artifact tests share: the registry table, an upstream key-only variant of it, and a
recorder of the tables and indexes every DynamoDB request names. It holds no tests: the artifact
test modules import its helpers and load it as a plugin (`pytest_plugins`) for its fixtures."""

import json
from contextlib import contextmanager

import pytest
from django.conf import settings

from artifacts.gateway import forget_indexes
from core.dynamo.connection import dynamodb_client, dynamodb_table

MODEL_RATING = {
    "net_score": 0.8,
    "net_score_latency": 0.2,
    "bus_factor": 0.5,
    "bus_factor_latency": 0.01,
    "size_score": {"raspberry_pi": 0.25, "desktop_pc": 1},
}


@pytest.fixture
def artifacts_table(aws):
    """The artifacts table as bootstrap_aws creates it (with both secondary indexes)."""
    forget_indexes()
    yield dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE)
    forget_indexes()


def recreate_key_only(table_name: str) -> None:
    """Replace the table with one as upstream created it: its key and nothing else."""
    client = dynamodb_client()
    client.delete_table(TableName=table_name)
    client.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "artifact_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "artifact_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    forget_indexes()


@pytest.fixture(params=["with_indexes", "key_only"])
def any_artifacts_table(request, artifacts_table):
    """The registry table both ways: as bootstrap_aws makes it, and as upstream may have made it."""
    if request.param == "key_only":
        recreate_key_only(artifacts_table.name)
    return artifacts_table


def upstream_item(artifact_id: str, **attributes) -> dict:
    """An item as the registry service writes it (ids of its own, `metadata.name` in `artifact`)."""
    name = attributes.pop("name", artifact_id)
    item = {
        "artifact_id": artifact_id,
        "artifact_type": attributes.pop("artifact_type", "model"),
        "url": attributes.pop("url", f"https://huggingface.co/upstream/{artifact_id}"),
        "name_normalized": attributes.pop("name_normalized", name.lower()),
        "artifact": json.dumps({"metadata": {"name": name, "id": artifact_id}, "data": {}}),
    }
    return {**item, **attributes}


@contextmanager
def dynamodb_requests():
    """Record (operation, table, index) for every DynamoDB request made in this thread. A batch
    request adds one entry per table it names."""
    seen: list[tuple[str, str, str | None]] = []

    def record(params, model, **_):
        body = json.loads(params.get("body") or b"{}")
        tables = list(body.get("RequestItems", {})) or [body.get("TableName")]
        for table in tables:
            seen.append((model.name, table, body.get("IndexName")))

    events = dynamodb_client().meta.events  # the client every Table of this thread shares
    events.register("before-call.dynamodb", record, unique_id="artifact-tests-recorder")
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb", unique_id="artifact-tests-recorder")
