"""Generated hostile items, written with raw boto3 into the three tables (and steps objects into S3),
read back through every API endpoint and admin page: no 500, responses bounded by the item's size,
and one odd item never hides the others from a list.

Each example writes a batch of items to each table, checks every list page (the API with limit=200,
the admin's pages, the stage artifacts page, the repairs after a scan), the API and admin detail of
one item per table, and removes the batch. Runs are reproducible (derandomized, no example
database); EXAMPLES × BATCH × 3 items are generated per run.
"""

import io
import os
import re
from urllib.parse import quote

import boto3
import pytest
from django.conf import settings
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from artifacts.gateway import forget_indexes
from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.dynamo.item_size import item_size

from . import strategies as hostile

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "120"))  # fewer for a quick look
BATCH = 28  # items per table per example: 120 × 28 × 3 = 10,080 items per run
MOTO_MAX_ITEM_BYTES = 405_000  # moto's own cap (AWS: 409,600)
# What a response may cost per byte of the item it shows: escapes (\u0000 is 6 bytes for 1),
# base64, and numbers (1E+125 is 2 bytes stored and 126 digits written).
MAX_BYTES_PER_ITEM_BYTE = 64
PAGE_OVERHEAD_BYTES = 256 * 1024
ADMIN_PAGE_MAX_BYTES = 4 * 1024 * 1024

TABLES = {
    "projects": ("project_id", hostile.project_items),
    "jobs": ("job_id", hostile.job_items),
    "artifacts": ("artifact_id", hostile.artifact_items),
}
ADMIN_LISTS = {
    "projects": "/admin/projects/project/",
    "jobs": "/admin/jobs/job/",
    "artifacts": "/admin/artifacts/artifact/",
}
HOSTILE = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[
        Phase.explicit,
        Phase.generate,
    ],  # a failing batch is reported as generated: shrinking 84 items takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def padded(item: dict, padding: int) -> dict:
    """The item with a large attribute of odd text, within moto's item cap."""
    if padding:
        item = {**item, "x_padding": ("\x00\u202e中x" * padding)[:padding]}
        while item_size(item) > MOTO_MAX_ITEM_BYTES:
            item["x_padding"] = item["x_padding"][: len(item["x_padding"]) * 3 // 4]
    return item


@st.composite
def batches(draw) -> dict[str, list[dict]]:
    """BATCH items per table; one of them, now and then, close to the 400 KB item limit."""
    batch = {}
    for resource, (_key, items) in TABLES.items():
        generated = [draw(items(f"{resource[0]}{number:03d}")) for number in range(BATCH)]
        big = draw(st.sampled_from([0] * 5 + [100_000, 390_000]))
        generated[0] = padded(generated[0], big)
        batch[resource] = [padded(item, 0) if item_size(item) > MOTO_MAX_ITEM_BYTES else item for item in generated]
        batch[resource] = [item for item in batch[resource] if item_size(item) <= MOTO_MAX_ITEM_BYTES]
    return batch


@pytest.fixture
def upstream_tables(aws):
    """The registry as upstream may have created it, with its key only: without secondary indexes,
    DynamoDB takes a url or an artifact_type of any type, or empty."""
    client, name = dynamodb_client(), settings.DYNAMODB_ARTIFACTS_TABLE
    client.delete_table(TableName=name)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "artifact_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "artifact_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    forget_indexes()
    yield
    forget_indexes()


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def write(batch: dict[str, list[dict]], steps_objects: dict[str, bytes]) -> None:
    for resource, items in batch.items():
        with dynamodb_table(table_name(resource)).batch_writer() as writer:
            for item in items:
                writer.put_item(Item=item)
    s3 = boto3.client("s3")
    for key, body in steps_objects.items():
        s3.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=body)


def remove(batch: dict[str, list[dict]], steps_objects: dict[str, bytes]) -> None:
    for resource, items in batch.items():
        key = TABLES[resource][0]
        with dynamodb_table(table_name(resource)).batch_writer() as writer:
            for item in items:
                writer.delete_item(Key={key: item[key]})
    s3 = boto3.client("s3")
    for key in steps_objects:
        s3.delete_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)


def table_name(resource: str) -> str:
    return {
        "projects": settings.DYNAMODB_PROJECTS_TABLE,
        "jobs": settings.DYNAMODB_JOBS_TABLE,
        "artifacts": settings.DYNAMODB_ARTIFACTS_TABLE,
    }[resource]


def api_ids(client, resource: str, key: str) -> list[str]:
    ids, url = [], f"/api/{resource}/?limit=200"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])
        body = response.json()
        ids += [item[key] for item in body["results"]]
        url = body["next"]
    return ids


def admin_ids(client, resource: str) -> list[str]:
    ids, url = [], ADMIN_LISTS[resource]
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])
        html = response.content.decode()
        assert len(response.content) < ADMIN_PAGE_MAX_BYTES
        ids += re.findall(rf'<th><a href="{ADMIN_LISTS[resource]}([^/"]+)/change/">', html)
        following = re.search(r'<a class="next-page" href="([^"]+)"', html)
        url = ADMIN_LISTS[resource] + following.group(1).replace("&amp;", "&") if following else None
    return ids


def bound(item: dict) -> int:
    return MAX_BYTES_PER_ITEM_BYTE * item_size(item) + PAGE_OVERHEAD_BYTES


@pytest.mark.django_db
@HOSTILE
@given(
    batch=batches(),
    steps_bodies=st.lists(hostile.steps_text, min_size=BATCH, max_size=BATCH),
    pick=st.integers(0, BATCH - 1),
)
def test_generated_items_never_break_a_page(upstream_tables, staff, batch, steps_bodies, pick):
    # Half the jobs whose key is their own find an object there, of odd JSON text.
    steps_objects = {
        item["execution_steps_s3_key"]: body.encode("utf-8", "surrogatepass")
        for item, body in zip(batch["jobs"], steps_bodies, strict=False)
        if item.get("execution_steps_s3_key") == f"jobs/{item['job_id']}/execution_steps.json" and len(body) % 2
    }
    write(batch, steps_objects)
    try:
        call_command("repair_stale_keys", "--json", stdout=io.StringIO(), stderr=io.StringIO())
        for resource, (key, _) in TABLES.items():
            expected = sorted(item[key] for item in batch[resource])
            assert sorted(api_ids(staff, resource, key)) == expected
            assert sorted(admin_ids(staff, resource)) == expected
            item = batch[resource][min(pick, len(batch[resource]) - 1)]
            detail = staff.get(f"/api/{resource}/{quote(item[key])}/")
            assert detail.status_code == 200, detail.content[:2000]
            assert len(detail.content) <= bound(item)
            page = staff.get(f"{ADMIN_LISTS[resource]}{quote(item[key])}/change/")
            assert page.status_code == 200, page.content[:2000]
            assert len(page.content) <= min(bound(item), ADMIN_PAGE_MAX_BYTES)
        for url in ("/admin/artifacts/artifact/stage-artifacts/", "/admin/jobs/stalekeyrepair/", "/api/repairs/"):
            response = staff.get(url)
            assert response.status_code == 200, (url, response.content[:2000])
    finally:
        remove(batch, steps_objects)
