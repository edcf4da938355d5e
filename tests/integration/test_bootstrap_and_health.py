import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from core.dynamo.connection import dynamodb_client, watch_calls
from core.storage import s3_storage


def test_bootstrap_is_idempotent_and_check_passes(aws, capsys):
    call_command("bootstrap_aws")
    call_command("bootstrap_aws", "--check")
    out = capsys.readouterr().out
    assert "created" not in out
    assert f"ok       table {settings.DYNAMODB_ARTIFACTS_TABLE}" in out
    assert f"ok       index {settings.DYNAMODB_ARTIFACTS_TABLE}.url-index" in out
    assert f"ok       bucket {settings.AWS_STORAGE_BUCKET_NAME}" in out


def test_bootstrap_creates_what_is_missing(aws, capsys):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_JOBS_TABLE)
    with pytest.raises(CommandError, match=f"table {settings.DYNAMODB_JOBS_TABLE}"):
        call_command("bootstrap_aws", "--check")
    call_command("bootstrap_aws")
    assert f"created table {settings.DYNAMODB_JOBS_TABLE}" in capsys.readouterr().out
    call_command("bootstrap_aws", "--check")


def test_bucket_is_private(aws):
    block = s3_storage().s3_client().get_public_access_block(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_upstream_table_without_indexes_is_reported_degraded_not_missing(aws, capsys):
    client = dynamodb_client()
    client.delete_table(TableName=settings.DYNAMODB_ARTIFACTS_TABLE)
    client.create_table(
        TableName=settings.DYNAMODB_ARTIFACTS_TABLE,
        KeySchema=[{"AttributeName": "artifact_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "artifact_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    call_command("bootstrap_aws", "--check")
    assert "degraded index" in capsys.readouterr().out


def test_healthz_ok_in_two_aws_requests_reused_for_a_few_seconds(aws, client):
    with watch_calls() as calls:
        for _ in range(5):
            response = client.get("/healthz")
            assert response.status_code == 200
            assert response.json() == {"dynamodb": "ok", "s3": "ok"}
    assert calls == [("dynamodb", "BatchGetItem"), ("s3", "HeadBucket")]


def test_healthz_is_asked_again_once_the_report_expires(aws, client, settings):
    settings.HEALTHZ_CACHE_SECONDS = 0.2
    assert client.get("/healthz").status_code == 200
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    assert client.get("/healthz").status_code == 200  # the report a moment old
    time.sleep(0.3)
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_healthz_names_a_missing_table_and_the_fix_to_staff_only(aws, client, admin_client):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["s3"] == "ok"
    assert settings.DYNAMODB_PROJECTS_TABLE in body["dynamodb"] and "bootstrap_aws" in body["dynamodb"]
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503 and anonymous.json() == {"dynamodb": "missing", "s3": "ok"}


@pytest.mark.django_db
def test_healthz_names_a_missing_bucket(aws, client, admin_client):
    s3_storage().s3_client().delete_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["dynamodb"] == "ok"
    assert settings.AWS_STORAGE_BUCKET_NAME in response.json()["s3"]
    assert client.get("/healthz").json() == {"dynamodb": "ok", "s3": "missing"}


@pytest.mark.django_db
def test_healthz_when_the_endpoint_is_down(client, admin_client, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    storages = {name: dict(spec) for name, spec in settings.STORAGES.items()}
    storages["execution_steps"]["OPTIONS"] = {
        **storages["execution_steps"]["OPTIONS"],
        "endpoint_url": "http://127.0.0.1:9",
    }
    settings.STORAGES = storages
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"dynamodb": "unavailable", "s3": "unavailable"}
    assert "127.0.0.1" not in anonymous.content.decode()
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["dynamodb"].startswith("Cannot reach DynamoDB")
    assert response.json()["s3"].startswith("Cannot reach S3")


def test_commands_print_the_fix_not_a_traceback_when_a_table_is_missing(aws):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_PROJECTS_TABLE)
    with pytest.raises(CommandError, match="bootstrap_aws"):
        call_command("bootstrap_aws", "--check")
