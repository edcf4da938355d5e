"""Base for the per-table gateways: the only code that calls DynamoDB for its table."""

from contextlib import AbstractContextManager

from core.tables import TableSpec

from .connection import dynamodb_table
from .errors import dynamodb_errors


class Gateway:
    table_spec: TableSpec

    def __init__(self, table=None):
        """`table`: a boto3 Table resource; by default the one named in settings."""
        self.table = table if table is not None else dynamodb_table(self.table_spec.name)

    def errors(self) -> AbstractContextManager[None]:
        """Translate botocore errors raised inside the block into the project's errors."""
        return dynamodb_errors(self.table.name)
