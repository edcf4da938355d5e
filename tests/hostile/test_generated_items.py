"""Generated hostile items, written with raw boto3 into the three tables (and steps objects into S3),
read back through every API endpoint and admin page: no 500, responses bounded by the item's size,
and one odd item never hides the others from a list.

Each example generates one item per table. Items gather into a batch of BATCH examples, which is
written at once (batch writes), read through every list (the API with limit=200 and each admin
page, the stage artifacts page, the repairs after a scan) and, for one item in DETAIL_EVERY, the
API and admin detail pages, then removed. Runs are reproducible (derandomized, no example
database): 3 × EXAMPLES items per run.
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

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "3400"))  # 10,200 items; fewer for a quick look
BATCH = 100  # examples read back together: 300 items, four admin list pages per table
DETAIL_EVERY = 10
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


def items(resource: str):
    """An item of `resource`; now and then one close to the 400 KB item limit."""
    key, item_strategy = TABLES[resource]
    return st.builds(
        lambda item, padding: (
            padded(item, padding) if item_size(padded(item, padding)) <= MOTO_MAX_ITEM_BYTES else item
        ),
        item_strategy("id"),
        st.sampled_from([0] * 150 + [100_000, 390_000]),
    ).filter(lambda item: item_size(item) <= MOTO_MAX_ITEM_BYTES)


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


class Batches:
    """Examples gathered into batches, each checked once it is full (and the last one at the end)."""

    def __init__(self, client):
        self.client = client
        self.items = {resource: [] for resource in TABLES}
        self.steps_objects: dict[str, bytes] = {}
        self.count = 0

    def add(self, generated: dict[str, dict], steps_body: str) -> None:
        for resource, item in generated.items():
            key = TABLES[resource][0]
            item = {**item, key: f"{resource[0]}{self.count:05d}"}
            own_key = f"jobs/{item[key]}/execution_steps.json"
            if resource == "jobs" and "execution_steps_s3_key" in item and len(steps_body) % 2:
                item["execution_steps_s3_key"] = own_key  # an object of odd JSON text at the job's own key
                self.steps_objects[own_key] = steps_body.encode()
            self.items[resource].append(item)
        self.count += 1
        if self.count % BATCH == 0:
            self.check()

    def check(self) -> None:
        write(self.items, self.steps_objects)
        try:
            check_pages(self.client, self.items)
        finally:
            remove(self.items, self.steps_objects)
            self.items = {resource: [] for resource in TABLES}
            self.steps_objects = {}


def check_pages(client, batch: dict[str, list[dict]]) -> None:
    call_command("repair_stale_keys", "--json", stdout=io.StringIO(), stderr=io.StringIO())
    for resource, (key, _) in TABLES.items():
        expected = sorted(item[key] for item in batch[resource])
        assert sorted(api_ids(client, resource, key)) == expected
        assert sorted(admin_ids(client, resource)) == expected
        for item in batch[resource][::DETAIL_EVERY]:
            detail = client.get(f"/api/{resource}/{quote(item[key])}/")
            assert detail.status_code == 200, (item[key], detail.content[:2000])
            assert len(detail.content) <= bound(item), item[key]
            page = client.get(f"{ADMIN_LISTS[resource]}{quote(item[key])}/change/")
            assert page.status_code == 200, (item[key], page.content[:2000])
            assert len(page.content) <= min(bound(item), ADMIN_PAGE_MAX_BYTES), item[key]
    for url in ("/admin/artifacts/artifact/stage-artifacts/", "/admin/jobs/stalekeyrepair/", "/api/repairs/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])


@pytest.mark.django_db
def test_generated_items_never_break_a_page(upstream_tables, staff):
    batches = Batches(staff)

    @HOSTILE
    @given(
        project=items("projects"),
        job=items("jobs"),
        artifact=items("artifacts"),
        steps_body=hostile.steps_text,
    )
    def generated(project, job, artifact, steps_body):
        batches.add({"projects": project, "jobs": job, "artifacts": artifact}, steps_body)

    generated()
    batches.check()
    assert batches.count == EXAMPLES  # every example was generated, none filtered out
