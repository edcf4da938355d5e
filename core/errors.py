"""The project's own errors. Views map them to responses; commands print their message.

Each carries an HTTP status and a machine code, so the API needs one exception handler,
and each keeps its botocore cause (`raise TableMissing(...) from err`).
"""


class AppError(Exception):
    status_code = 500
    code = "error"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class InvalidInput(AppError):
    status_code = 400
    code = "invalid"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class ItemTooLarge(InvalidInput):
    code = "item_too_large"


class WriteRefused(InvalidInput):
    """DynamoDB refused a write as invalid (a ValidationException): what was sent cannot be stored."""

    code = "write_refused"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class ConditionFailed(Conflict):
    """A conditional write found the item changed since it was read."""

    code = "condition_failed"


class Unavailable(AppError):
    """AWS cannot serve the request: unreachable, throttled, misconfigured or missing a resource."""

    status_code = 503
    code = "unavailable"


class TableMissing(Unavailable):
    code = "table_missing"


class BucketMissing(Unavailable):
    code = "bucket_missing"
