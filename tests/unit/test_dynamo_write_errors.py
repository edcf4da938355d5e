"""What DynamoDB (or boto3 on its behalf) refuses in a write becomes one project error, a 400 for
the API, an error page for the admin and a message for commands; a refused read stays a bug."""

from decimal import Decimal, Inexact

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
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
    "number", [Decimal(10**40), Decimal("-12" + "0" * 60), Decimal("1." + "0" * 45), Decimal(10**125)]
)
def test_numbers_longer_than_38_digits_only_by_zeros_are_sent_exactly(number):
    sent = TypeSerializer().serialize(to_dynamodb(number))["N"]
    assert Decimal(sent) == number and len(Decimal(sent).as_tuple().digits) <= 38


@pytest.mark.parametrize("stored", ["1" + "0" * 40, "1234567895171680000000000000000000000000", "-9" + "0" * 100])
def test_numbers_other_writers_store_with_more_than_38_digits_are_read_exactly(stored):
    assert TypeDeserializer().deserialize({"N": stored}) == Decimal(stored)


def test_a_number_that_would_lose_a_digit_is_still_refused():
    with pytest.raises(InvalidInput, match="38 significant digits"):
        to_dynamodb(10**40 + 1)
    with pytest.raises(Inexact):
        TypeSerializer().serialize(Decimal(10**40 + 1))  # boto3's own check, kept
