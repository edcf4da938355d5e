"""Turn botocore errors into the project's errors, keeping the cause.

Only errors that mean something to a caller are narrowed; anything else (a bug in a request we
built) is re-raised untouched so it is seen, not disguised.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)
from django.conf import settings

from core.errors import AppError, ConditionFailed, ItemTooLarge, TableMissing, Unavailable, WriteRefused

from .connection import dynamodb_endpoint

TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# Server-side failures after which a write may or may not have been applied.
UNKNOWN_OUTCOME_CODES = {"InternalServerError", "ServiceUnavailable"}
ACCESS_CODES = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "MissingAuthenticationTokenException",
}


def error_code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


def surely_not_applied(err: BaseException) -> bool:
    """True when a failed request certainly changed nothing: DynamoDB refused it (a condition,
    validation, throttling, access, a missing table) or it never left the client (no connection,
    no credentials, bad parameters). After a timeout, a dropped connection or a server error the
    outcome is unknown, and so is it for anything else, and for a refusal that came after
    botocore's own retries: an earlier attempt may have been applied (and refused the later one)."""
    cause = err.__cause__ if isinstance(err, AppError) and err.__cause__ is not None else err
    if isinstance(cause, ClientError):
        retried = cause.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        return not retried and error_code(cause) not in UNKNOWN_OUTCOME_CODES
    return isinstance(
        cause, (ConnectionError, NoCredentialsError, PartialCredentialsError, NoRegionError, ParamValidationError)
    )


def aws_setup_error(err: Exception, service: str) -> Unavailable | None:
    """Errors any AWS call can raise before or without a response: endpoint, credentials, region."""
    if isinstance(err, (ConnectionError, HTTPClientError)):
        return Unavailable(
            f"Cannot reach {service} at {err.kwargs.get('endpoint_url', 'its endpoint')}: {err}. "
            "Check AWS_ENDPOINT_URL and that the service is running."
        )
    if isinstance(err, (NoCredentialsError, PartialCredentialsError)):
        return Unavailable(
            f"No usable AWS credentials for {service}: {err}. "
            "Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile."
        )
    if isinstance(err, NoRegionError):
        return Unavailable(f"No AWS region configured for {service}. Set AWS_DEFAULT_REGION.")
    return None


def translate_dynamodb_error(err: Exception, table_name: str) -> Exception:
    """The project error for `err`, or `err` itself when it means nothing more specific."""
    setup = aws_setup_error(err, "DynamoDB")
    if setup is not None:
        return setup
    if not isinstance(err, ClientError):
        return err
    code = error_code(err)
    message = err.response.get("Error", {}).get("Message", "")
    if code == "ResourceNotFoundException":
        return TableMissing(
            f"DynamoDB table '{table_name}' does not exist at {dynamodb_endpoint()} "
            f"(region {settings.AWS_DEFAULT_REGION}). Create it with `python manage.py bootstrap_aws`."
        )
    if code == "ConditionalCheckFailedException":
        return ConditionFailed(f"Item in '{table_name}' changed since it was read.")
    if code == "TransactionCanceledException" and "ConditionalCheckFailed" in message:
        return ConditionFailed(f"Item in '{table_name}' changed since it was read.")
    if code in TRANSIENT_CODES:
        return Unavailable(f"DynamoDB is throttling or failing requests to '{table_name}' ({code}). Retry later.")
    if code in ACCESS_CODES:
        return Unavailable(f"DynamoDB refused the credentials or permissions for '{table_name}' ({code}): {message}")
    if code == "ValidationException" and "size" in message.lower() and "item" in message.lower():
        return ItemTooLarge(f"The item is larger than DynamoDB's 400 KB limit: {message}")
    if code == "ValidationException" and err.operation_name in WRITE_OPERATIONS:
        # The request held something DynamoDB cannot store (a value, a key, an expression):
        # the caller's to fix. A refused read stays untranslated: that is a bug of ours.
        return WriteRefused(f"DynamoDB refused the write to '{table_name}': {message}")
    return err


@contextmanager
def translated_errors(translate: Callable[[Exception], Exception]) -> Iterator[None]:
    """Raise `translate(err)` from `err` for errors raised inside the block; re-raise `err`
    untouched when the translation is `err` itself."""
    try:
        yield
    except Exception as err:
        replacement = translate(err)
        if replacement is err:
            raise
        raise replacement from err


def dynamodb_errors(table_name: str) -> AbstractContextManager[None]:
    """Translate errors raised inside the block for operations on `table_name`."""
    return translated_errors(lambda err: translate_dynamodb_error(err, table_name))
