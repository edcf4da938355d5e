"""`seed_demo` overwrites items with fixed ids: it writes only into an emulator on this machine
(loopback endpoints), unless told to with --force."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.dynamo.connection import dynamodb_table

pytestmark = pytest.mark.django_db


def project_count() -> int:
    return dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).scan(Select="COUNT")["Count"]


@pytest.mark.parametrize(
    "dynamodb, s3",
    [
        (None, None),  # AWS itself
        ("https://dynamodb.eu-west-1.amazonaws.com", "http://127.0.0.1:4566"),
        ("http://127.0.0.1:4566", "http://moto.internal:5000"),
        ("http://[", "http://localhost:4566"),
    ],
)
def test_it_refuses_an_endpoint_that_is_not_loopback_and_writes_nothing(aws, dynamodb, s3):
    refused = pytest.raises(CommandError, match="Refusing to write demo data .* Add --force")
    with override_settings(AWS_ENDPOINT_URL_DYNAMODB=dynamodb, AWS_ENDPOINT_URL_S3=s3), refused:
        call_command("seed_demo")
    assert project_count() == 0


def test_force_writes_anywhere(aws):
    call_command("seed_demo", "--force")
    assert project_count() > 0


def test_an_emulator_on_loopback_is_seeded_without_force(aws_server):
    call_command("seed_demo")
    assert project_count() > 0
