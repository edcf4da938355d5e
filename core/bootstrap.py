"""Create what the project needs in AWS, where missing, and report what is there."""

from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.conf import settings

from core.dynamo.connection import dynamodb_client
from core.dynamo.errors import dynamodb_errors, error_code
from core.errors import BucketMissing, TableMissing
from core.storage import s3_errors, s3_storage
from core.tables import TABLES, TableSpec


@dataclass(frozen=True)
class ResourceState:
    kind: str  # "table", "index" or "bucket"
    name: str
    exists: bool
    note: str = ""


def table_description(spec: TableSpec) -> dict | None:
    try:
        with dynamodb_errors(spec.name):
            return dynamodb_client().describe_table(TableName=spec.name)["Table"]
    except TableMissing:
        return None


def bucket_exists(bucket: str) -> bool:
    try:
        with s3_errors(bucket):
            s3_storage().s3_client().head_bucket(Bucket=bucket)
    except BucketMissing:
        return False
    except ClientError as err:
        if error_code(err) in {"404", "NotFound"}:  # HeadBucket has no body, so no NoSuchBucket code
            return False
        raise
    return True


def inspect() -> list[ResourceState]:
    states = []
    for spec in TABLES:
        description = table_description(spec)
        states.append(ResourceState("table", spec.name, description is not None))
        present = {index["IndexName"] for index in (description or {}).get("GlobalSecondaryIndexes", [])}
        for index in spec.indexes:
            note = (
                ""
                if description is None or index.name in present
                else ("upstream table without it: lookups fall back to a paged Scan")
            )
            states.append(ResourceState("index", f"{spec.name}.{index.name}", index.name in present, note))
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    states.append(ResourceState("bucket", bucket, bucket_exists(bucket)))
    return states


def create_table(spec: TableSpec) -> None:
    attributes = {spec.key} | {index.hash_key for index in spec.indexes}
    request = {
        "TableName": spec.name,
        "KeySchema": [{"AttributeName": spec.key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.hash_key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    client = dynamodb_client()
    with dynamodb_errors(spec.name):
        client.create_table(**request)
        client.get_waiter("table_exists").wait(TableName=spec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def create_bucket(bucket: str) -> None:
    client = s3_storage().s3_client()
    request = {"Bucket": bucket}
    if settings.AWS_DEFAULT_REGION != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_DEFAULT_REGION}
    with s3_errors(bucket):
        client.create_bucket(**request)
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        # Versions let a failed job write undo its upload of execution steps over the previous
        # ones; previous versions expire after a week.
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-previous-versions",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                    }
                ]
            },
        )


def ensure() -> list[str]:
    """Create missing tables and the bucket; returns what was created. Idempotent."""
    created = []
    for spec in TABLES:
        if table_description(spec) is None:
            create_table(spec)
            created.append(f"table {spec.name}")
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    if not bucket_exists(bucket):
        create_bucket(bucket)
        created.append(f"bucket {bucket}")
    return created
