"""The update builder against moto: for any attribute names (reserved words, dots, brackets, `#`,
`:`, non-ASCII) and any values, DynamoDB ends up holding what a plain Python model of the update
says, and a failed condition changes nothing."""

import uuid
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.dynamo.connection import dynamodb_table
from core.dynamo.expressions import Path, Update, equals, expression_kwargs
from core.dynamo.values import to_dynamodb
from tests.strategies import attribute_names, json_values

EXAMPLES = 150
KEY = "job_id"
names = attribute_names.filter(lambda name: name != KEY)
numbers = st.integers(-1000, 1000)


@st.composite
def scenarios(draw):
    """An item as stored, and actions on distinct top-level attributes."""
    item = draw(st.dictionaries(names, json_values | numbers | st.lists(json_values, max_size=3), max_size=5))
    targets = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    actions = []
    for name in targets:
        current = item.get(name)
        choices = ["set", "remove", "set_if_not_exists"]
        if name not in item or isinstance(current, list):
            choices.append("append")
        if name not in item or (isinstance(current, int) and not isinstance(current, bool)):
            choices.append("add")
        action = draw(st.sampled_from(choices))
        value = {"append": st.lists(json_values, max_size=3), "add": numbers}.get(action, json_values)
        actions.append((action, name, None if action == "remove" else draw(value)))
    return item, actions


def modelled(item: dict, actions: list) -> dict:
    result = dict(item)
    for action, name, value in actions:
        if action == "set":
            result[name] = value
        elif action == "remove":
            result.pop(name, None)
        elif action == "set_if_not_exists":
            result.setdefault(name, value)
        elif action == "append":
            result[name] = [*(result.get(name) or []), *value]
        else:
            result[name] = result.get(name, 0) + value
    return result


def built(actions: list) -> Update:
    update = Update()
    for action, name, value in actions:
        path = Path(name)  # a literal top-level name, whatever characters it holds
        if action == "remove":
            update.remove(path)
        else:
            getattr(update, action)(path, value)
    return update


@pytest.fixture
def table(aws):
    return dynamodb_table(settings.DYNAMODB_JOBS_TABLE)


@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
def test_dynamodb_holds_what_the_model_of_the_update_says(table, scenario):
    item, actions = scenario
    key = uuid.uuid4().hex
    table.put_item(Item=to_dynamodb({KEY: key, **item}))
    response = table.update_item(Key={KEY: key}, ReturnValues="ALL_NEW", **expression_kwargs(update=built(actions)))
    assert response["Attributes"] == to_dynamodb({KEY: key, **modelled(item, actions)})


@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios(), names)
def test_a_failed_condition_changes_nothing(table, scenario, guard):
    item, actions = scenario
    key = uuid.uuid4().hex
    stored = to_dynamodb({KEY: key, **item, guard: "as read"})
    table.put_item(Item=stored)
    request = expression_kwargs(update=built(actions), condition=equals(Path(guard), Decimal(-1)))
    with pytest.raises(ClientError) as refused:
        table.update_item(Key={KEY: key}, **request)
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert table.get_item(Key={KEY: key})["Item"] == stored
