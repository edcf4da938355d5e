"""What DynamoDB (or boto3 on its behalf) refuses in a write becomes one project error, a 400 for
the API, an error page for the admin and a message for commands; a refused read stays a bug."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from core.dynamo.errors import translate_dynamodb_error
from core.dynamo.values import to_dynamodb
from core.errors import InvalidInput, ItemTooLarge, WriteRefused


def refusal(operation: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, operation)


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"])
def test_a_validation_refusal_of_any_write_is_write_refused_with_the_reason(operation):
    error = translate_dynamodb_error(refusal(operation, "Invalid UpdateExpression: odd value"), "AgentProjects")
    assert isinstance(error, WriteRefused) and isinstance(error, InvalidInput) and error.status_code == 400
    assert error.detail == "DynamoDB refused the write to 'AgentProjects': Invalid UpdateExpression: odd value"


def test_item_size_refusals_keep_their_own_code():
    error = translate_dynamodb_error(refusal("UpdateItem", "Item size has exceeded the maximum allowed size"), "T")
    assert isinstance(error, ItemTooLarge)


def test_a_refused_read_is_left_as_it_is():
    original = refusal("GetItem", "The provided key element does not match the schema")
    assert translate_dynamodb_error(original, "T") is original


@pytest.mark.parametrize(
    ("number", "sent"),
    [
        (10**40, Decimal("1E+40")),
        (Decimal("-12" + "0" * 60), Decimal("-1.2E+61")),
        (Decimal("1." + "0" * 45), Decimal(1)),
        (Decimal("2.0"), Decimal("2.0")),  # short enough: sent as given
    ],
)
def test_numbers_longer_than_38_digits_only_by_zeros_are_sent_exactly_without_them(number, sent):
    converted = to_dynamodb(number)
    assert converted == number and str(converted) == str(sent)
    assert len(converted.as_tuple().digits) <= 38
