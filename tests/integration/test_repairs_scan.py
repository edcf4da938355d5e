"""The stale-key scanner against moto: what it finds, what it reads, and that segments agree."""

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from boto3.dynamodb.types import Binary
from botocore.awsrequest import AWSResponse
from django.conf import settings

from core.dynamo.connection import dynamodb_table, watch_calls
from core.dynamo.item_size import item_size
from core.errors import Unavailable
from jobs.gateway import JobGateway
from jobs.repairs.findings import BOTH_PRESENT, DANGLING_KEY, FOREIGN_KEY, ORPHAN_OBJECT, OVERSIZE_INLINE
from jobs.repairs.kinds import KINDS
from jobs.repairs.scanner import stale_keys_scan
from jobs.steps_store import ExecutionStepsStore, steps_key


def make_steps(count: int, output: str = "ok") -> list[dict]:
    return [
        {"step_order": n, "step_name": f"step {n}", "step_type": "tool", "status": "completed", "output": output}
        for n in range(count)
    ]


class World:
    """Jobs and objects planted through boto3, as other services write them."""

    def __init__(self):
        self.table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
        self.store = ExecutionStepsStore()
        self.s3 = self.store.storage.s3_client()
        self.bucket = self.store.bucket

    def job(self, job_id: str, **attributes) -> dict:
        item = {"job_id": job_id, "status": "completed", "updated_at": "2025-11-07T10:00:00.000Z", **attributes}
        self.table.put_item(Item=item)
        return item

    def put(self, key: str, body: bytes | list, **extra) -> None:
        data = json.dumps(body).encode() if isinstance(body, list) else body
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)

    def offloaded(self, job_id: str, steps: list) -> None:
        self.put(steps_key(job_id), steps)
        self.job(job_id, execution_steps_s3_key=steps_key(job_id))

    def plant_each_kind(self) -> None:
        """One finding of every kind, next to sound jobs of every shape."""
        self.job("sound-inline", execution_steps=make_steps(3))
        self.offloaded("sound-offloaded", make_steps(4))
        self.job("sound-none")
        self.put(steps_key("both"), make_steps(5))
        self.job("both", execution_steps=make_steps(2), execution_steps_s3_key=steps_key("both"))
        self.job("dangling", execution_steps_s3_key=steps_key("dangling"))
        self.put(steps_key("orphan"), make_steps(6))
        self.job("oversize", execution_steps=make_steps(40, output="x" * 8000))
        self.put("jobs/orphan/report.pdf", b"%PDF-1.4 not a steps object")

    def items(self) -> list[dict]:
        items, request = [], {}
        while True:
            response = self.table.scan(ConsistentRead=True, **request)
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return sorted(items, key=lambda item: item["job_id"])
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def item(self, job_id: str) -> dict | None:
        return self.table.get_item(Key={"job_id": job_id}, ConsistentRead=True).get("Item")

    def objects(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {
            entry["Key"]: self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read() for entry in listing
        }


@pytest.fixture
def world(aws):
    return World()


def found(report) -> list[tuple[str, str]]:
    return [(finding.kind, finding.job_id) for finding in report.findings]


def test_each_kind_is_found_and_sound_jobs_are_not(world):
    world.plant_each_kind()
    report = stale_keys_scan(kinds=KINDS, min_orphan_age=0)
    assert found(report) == [
        (BOTH_PRESENT, "both"),
        (DANGLING_KEY, "dangling"),
        (ORPHAN_OBJECT, "orphan"),
        (OVERSIZE_INLINE, "oversize"),
    ]
    both, dangling, orphan, oversize = report.findings
    assert both.s3_key == steps_key("both") and both.steps_count == 2 and both.object.size > 0
    assert "2 inline steps next to key jobs/both/execution_steps.json" in both.detail
    assert dangling.object is None and "the steps are lost" in dangling.detail
    assert orphan.s3_key == steps_key("orphan") and "no job references this object" in orphan.detail
    assert oversize.item_size == item_size(world.item("oversize")) > settings.EXECUTION_STEPS_OFFLOAD_BYTES
    assert "over the 300.0 KB offload margin" in oversize.detail
    assert report.counts() == {kind: 0 if kind == FOREIGN_KEY else 1 for kind in KINDS}


def test_the_default_scan_reads_keys_only_and_leaves_oversize_out(world):
    world.plant_each_kind()
    with watch_calls() as calls:
        report = stale_keys_scan(min_orphan_age=0)
    assert OVERSIZE_INLINE not in report.kinds and found(report) == [
        (BOTH_PRESENT, "both"),
        (DANGLING_KEY, "dangling"),
        (ORPHAN_OBJECT, "orphan"),
    ]
    assert calls == [("dynamodb", "Scan"), ("s3", "ListObjectsV2")]  # no request per job or object


def test_the_key_scan_returns_ids_keys_and_only_the_inline_steps_next_to_a_key(world):
    world.plant_each_kind()
    pages = list(JobGateway().scan_keyed())
    returned = {record.job_id: set(record.item) for page in pages for record in page.records}
    assert returned == {
        "sound-offloaded": {"job_id", "execution_steps_s3_key", "updated_at"},
        "both": {"job_id", "execution_steps_s3_key", "execution_steps", "updated_at"},
        "dangling": {"job_id", "execution_steps_s3_key", "updated_at"},
    }
    assert sum(page.scanned for page in pages) == 6  # every item is read; only these come back


def test_an_empty_inline_list_next_to_a_key_is_both_present(world):
    world.put(steps_key("empty"), make_steps(1))
    world.job("empty", execution_steps=[], execution_steps_s3_key=steps_key("empty"))
    (finding,) = stale_keys_scan().findings
    assert (finding.kind, finding.steps_count) == (BOTH_PRESENT, 0)


def test_young_orphans_are_reported_as_kept(world):
    world.put(steps_key("fresh"), make_steps(1))
    (finding,) = stale_keys_scan().findings
    assert finding.kind == ORPHAN_OBJECT and "younger than the grace age (1 h): kept for now" in finding.detail


def test_keys_that_cannot_be_followed(world):
    world.put("other/x.json", make_steps(1))
    world.job("outside", execution_steps_s3_key="other/x.json")
    world.job("escape", execution_steps=make_steps(1), execution_steps_s3_key="jobs/../other/x.json")
    world.job("null-key", execution_steps=make_steps(1), execution_steps_s3_key=None)
    world.job("empty-key", execution_steps_s3_key="")
    findings = {finding.job_id: finding for finding in stale_keys_scan().findings}
    assert findings["outside"].kind == FOREIGN_KEY and "'other/x.json' is not this job's" in findings["outside"].blocked
    assert findings["escape"].kind == FOREIGN_KEY and "'jobs/../other/x.json'" in findings["escape"].blocked
    assert "inline steps kept" in findings["escape"].detail
    assert findings["null-key"].kind == BOTH_PRESENT and findings["null-key"].blocked is None
    assert "next to an empty key" in findings["null-key"].detail
    assert findings["empty-key"].kind == DANGLING_KEY and findings["empty-key"].blocked is None


def test_a_key_naming_another_jobs_object_is_foreign_and_protects_that_object(world):
    world.offloaded("owner", make_steps(2))
    world.job("borrower", execution_steps=make_steps(1), execution_steps_s3_key=steps_key("owner"))
    (finding,) = stale_keys_scan(min_orphan_age=0).findings
    assert (finding.kind, finding.job_id, finding.s3_key) == (FOREIGN_KEY, "borrower", steps_key("owner"))
    assert "is job owner's, not this job's jobs/borrower/execution_steps.json" in finding.detail
    assert finding.blocked and finding.object is None  # never followed: not even its listing is attached


@pytest.mark.parametrize(
    "key",
    [
        Binary(b"jobs/named/execution_steps.json"),
        ["jobs/named/execution_steps.json"],
        {"jobs/named/execution_steps.json"},
        {"where": "jobs/named/execution_steps.json"},
    ],
    ids=["binary", "list", "string_set", "map"],
)
def test_a_key_of_any_type_is_foreign_and_the_object_it_names_is_no_orphan(world, key):
    world.put(steps_key("named"), make_steps(1))
    world.job("holder", execution_steps_s3_key=key)
    (finding,) = stale_keys_scan(min_orphan_age=0).findings
    assert (finding.kind, finding.job_id, finding.s3_key) == (FOREIGN_KEY, "holder", None)
    assert "the key is not a string" in finding.detail


def test_gzip_objects_and_other_files_under_jobs_are_not_orphans_when_referenced(world):
    world.put(steps_key("zipped"), gzip.compress(json.dumps(make_steps(2)).encode()), ContentEncoding="gzip")
    world.job("zipped", execution_steps_s3_key=steps_key("zipped"))
    world.put("jobs/zipped/artifact.bin", b"\x00\x01")
    assert stale_keys_scan(min_orphan_age=0).findings == []


def test_findings_are_identical_for_one_two_and_four_segments_over_many_pages(world):
    filler = "f" * 2600  # about 5.4 MB in all: DynamoDB pages at 1 MB, so even a quarter pages
    with world.table.batch_writer() as batch:
        for n in range(2000):
            item = {"job_id": f"job-{n:05d}", "status": "completed", "note": filler}
            if n % 100 == 0:
                item["execution_steps_s3_key"] = steps_key(f"job-{n:05d}")  # dangling: no object
            elif n % 100 == 1:
                item["execution_steps"] = make_steps(1)
                item["execution_steps_s3_key"] = steps_key(f"job-{n:05d}")
            batch.put_item(Item=item)
    for n in range(0, 2000, 250):
        world.put(steps_key(f"gone-{n}"), make_steps(1))
    reports = {}
    for segments in (1, 2, 4):
        with watch_calls() as calls:
            reports[segments] = stale_keys_scan(segments=segments, min_orphan_age=0)
        assert calls.count(("dynamodb", "Scan")) > segments  # several pages per segment
        assert reports[segments].items_scanned == 2000
    assert found(reports[1]) == found(reports[2]) == found(reports[4])
    assert [finding.as_json() for finding in reports[1].findings] == [f.as_json() for f in reports[4].findings]
    assert len(reports[1].findings) == 20 + 20 + 8


def test_a_refused_listing_is_unavailable_not_an_empty_bucket(world):
    world.offloaded("sound", make_steps(1))
    with deny(world.s3, "ListObjectsV2"), pytest.raises(Unavailable, match="refused access"):
        stale_keys_scan()


@contextmanager
def deny(client, operation: str) -> Iterator[None]:
    """Inside the block, `operation` on this boto3 client answers 403 AccessDenied, as under a
    bucket policy that denies it (botocore's own event hook: the request never leaves)."""

    def refuse(**_kwargs):
        error = {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://s3.amazonaws.com", 403, {}, None), error

    event = f"before-call.s3.{operation}"
    client.meta.events.register(event, refuse, unique_id=f"deny-{operation}")
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id=f"deny-{operation}")
