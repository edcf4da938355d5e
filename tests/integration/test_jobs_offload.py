"""Writing and reading execution steps against moto: the exact-size offload decision, the switch
between inline and S3, and what is left behind when a write fails half-way."""

import gzip
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.dynamo.connection import watch_calls
from core.dynamo.expressions import Update, expression_kwargs
from core.dynamo.item_size import item_size
from core.dynamo.values import to_dynamodb
from core.errors import InvalidInput, ItemTooLarge, NotFound, Unavailable
from core.storage import PrivateS3Storage
from jobs.gateway import STEPS, STEPS_KEY, JobGateway
from jobs.services import job_detail, job_update
from jobs.steps_store import ExecutionStepsStore, steps_key

MOTO_ITEM_CAP = 405_000
# Durations and costs; DynamoDB's number range limits are tested apart.
MEASURES = st.floats(min_value=-1e12, max_value=1e12).map(lambda x: round(x, 6))
TIMESTAMP_BYTES = len("2025-11-07T09:12:03.120Z")  # every updated_at we write has this length


@pytest.fixture
def gateway(aws):
    return JobGateway()


@pytest.fixture
def store(aws):
    return ExecutionStepsStore()


@pytest.fixture
def small_margin(settings):
    settings.EXECUTION_STEPS_OFFLOAD_BYTES = 1_500


def put(gateway, **item):
    gateway.table.put_item(Item=to_dynamodb(item))
    return gateway.get(item["job_id"]).item


def big_steps(count=3, chars=200_000, marker="a"):
    return [{"step_order": n, "step_name": f"step {n}", "output": marker * chars} for n in range(1, count + 1)]


def item_after(job_id, status, output_chars):
    """By AWS's rules, counted by hand for {job_id, status} + updated_at + steps [{"output": ...}]."""
    return (
        len("job_id") + len(job_id)
        + len("status") + len(status)
        + len("updated_at") + TIMESTAMP_BYTES
        + len("execution_steps") + 3 + (3 + len("output") + output_chars + 1) + 1
    )  # fmt: skip


@contextmanager
def on_update_item(handler, when="before-call"):
    """Run `handler` at a botocore event of every UpdateItem on the Jobs table's client."""
    events = JobGateway().table.meta.client.meta.events
    event = f"{when}.dynamodb.UpdateItem"
    events.register(event, handler, unique_id="test-jobs-fault")
    try:
        yield
    finally:
        events.unregister(event, unique_id="test-jobs-fault")


def raising(error):
    def handler(**_):
        raise error

    return handler


def throttled():
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, "UpdateItem"
    )


# ---- the offload decision -------------------------------------------------------------------


@pytest.mark.parametrize("margin", [2_000, 10_000])
def test_offload_boundary_is_the_exact_item_size_after_the_update(gateway, store, settings, margin):
    settings.EXECUTION_STEPS_OFFLOAD_BYTES = margin
    fits = margin - item_after("b1", "running", 0)
    assert item_after("b1", "running", fits) == margin

    put(gateway, job_id="b1", status="running")
    record = job_update(job_id="b1", execution_steps=[{"output": "x" * fits}])
    assert record.steps_location == "inline"
    assert item_size(record.item) == margin

    with watch_calls() as calls:
        record = job_update(job_id="b1", execution_steps=[{"output": "x" * (fits + 1)}])
    assert record.steps_location == "s3" and STEPS not in record.item
    assert calls == [("dynamodb", "GetItem"), ("s3", "PutObject"), ("dynamodb", "UpdateItem")]
    assert store.load(record.steps_key) == [{"output": "x" * (fits + 1)}]


def test_at_the_default_margin_dynamodb_accepts_every_item_kept_inline(gateway, store):
    margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
    assert margin == 307_200
    fits = margin - item_after("b2", "running", 0)
    put(gateway, job_id="b2", status="running")
    record = job_update(job_id="b2", execution_steps=[{"output": "é" * (fits // 2)}])  # 2 bytes each
    assert record.steps_location == "inline" and item_size(record.item) == margin
    assert gateway.get("b2").item == record.item  # stored whole
    assert job_update(job_id="b2", execution_steps=[{"output": "x" * (fits + 1)}]).steps_location == "s3"


def test_an_item_dynamodb_refuses_despite_the_calculator_goes_to_s3(gateway, store):
    # moto sizes a number by its digits (12 bytes for 123456789012, AWS 7 + 1 in a list), so it
    # refuses this item that fits the margin by AWS's rules: the refusal is taken as "too large"
    # and the steps are offloaded after all, conditional on the item read again.
    steps = [{"n": [123456789012] * 38_000}]
    put(gateway, job_id="nums", status="running")
    after = {**gateway.get("nums").item, "updated_at": "x" * TIMESTAMP_BYTES, STEPS: steps}
    assert item_size(after) <= settings.EXECUTION_STEPS_OFFLOAD_BYTES and MOTO_ITEM_CAP < 12 * 38_000
    with watch_calls() as calls:
        record = job_update(job_id="nums", execution_steps=steps)
    assert calls == [
        ("dynamodb", "GetItem"),
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "GetItem"),
        ("s3", "PutObject"),
        ("dynamodb", "UpdateItem"),
    ]
    assert record.steps_location == "s3" and store.load(record.steps_key) == steps


def test_other_large_attributes_count_towards_the_decision(gateway, settings):
    settings.EXECUTION_STEPS_OFFLOAD_BYTES = 5_000
    put(gateway, job_id="b3", notes="n" * 4_900)
    assert job_update(job_id="b3", execution_steps=[{"output": "x" * 200}]).steps_location == "s3"
    put(gateway, job_id="b4", notes="n")
    assert job_update(job_id="b4", execution_steps=[{"output": "x" * 200}]).steps_location == "inline"


def test_steps_of_any_size_are_stored_without_dynamodb_refusing_the_item(gateway, store):
    put(gateway, job_id="huge", status="running")
    steps = big_steps(count=25, chars=200_000)  # 5 MB
    record = job_update(job_id="huge", execution_steps=steps, attributes={"status": "completed"})
    assert record.steps_location == "s3" and record.status == "completed"
    assert job_detail(job_id="huge").steps.steps == steps


def test_an_item_too_large_without_its_steps_is_refused_and_leaves_no_object(gateway, store):
    put(gateway, job_id="fat", notes="n" * 404_000)
    with pytest.raises(ItemTooLarge):  # over 409,600 bytes even without the steps
        job_update(job_id="fat", execution_steps=big_steps(count=1), attributes={"summary": "s" * 6_000})
    assert gateway.get("fat").item == {"job_id": "fat", "notes": "n" * 404_000}
    assert store.head(steps_key("fat")) is None


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.dictionaries(
            st.text(min_size=1, max_size=12),
            st.one_of(
                st.text(max_size=400),
                st.integers(-(10**12), 10**12),
                MEASURES,
                st.booleans(),
                st.none(),
            ),
            max_size=6,
        ),
        max_size=12,
    )
)
def test_any_steps_end_up_in_exactly_one_place_and_read_back_equal(gateway, store, small_margin, steps):
    put(gateway, job_id="prop", status="running")
    record = job_update(job_id="prop", execution_steps=steps)
    assert not record.has_both
    if record.steps_location == "inline":
        assert item_size(record.item) <= 1_500
    else:
        assert item_size({**record.item, STEPS: to_dynamodb(steps)}) - item_size({STEPS_KEY: record.steps_key}) > 1_500
    # Read back as DynamoDB holds them wherever they are (numbers exact, by their shortest decimal form).
    assert job_detail(job_id="prop").steps.steps == to_dynamodb(steps)


# ---- switching place --------------------------------------------------------------------------


def test_switching_from_s3_to_inline_removes_the_key_and_that_version_of_the_object(gateway, store, monkeypatch):
    monkeypatch.setattr("jobs.services.ORPHAN_GRACE_SECONDS", 0)  # the object is old enough
    put(gateway, job_id="sw", status="running")
    key = job_update(job_id="sw", execution_steps=big_steps()).steps_key
    read = store.head(key)
    with watch_calls() as calls:
        record = job_update(job_id="sw", execution_steps=[{"step_name": "small"}])
    assert record.item[STEPS] == [{"step_name": "small"}] and STEPS_KEY not in record.item
    assert store.head(key) is None
    versions = store.storage.s3_client().list_object_versions(Bucket=store.bucket, Prefix=key)
    assert "Versions" not in versions and "DeleteMarkers" not in versions  # that version itself, no marker
    assert calls == [
        ("dynamodb", "GetItem"),
        ("s3", "HeadObject"),  # the version current now: only it is deleted afterwards
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "GetItem"),
        ("s3", "DeleteObject"),
    ]
    assert read.version_id


def test_an_object_younger_than_the_grace_age_is_left_by_an_inline_write(gateway, store):
    put(gateway, job_id="young", status="running")
    key = job_update(job_id="young", execution_steps=big_steps()).steps_key
    with watch_calls() as calls:
        record = job_update(job_id="young", execution_steps=[{"step_name": "small"}])
    assert STEPS_KEY not in record.item and store.load(key) == big_steps()  # an orphan for the repair to judge
    assert calls == [("dynamodb", "GetItem"), ("s3", "HeadObject"), ("dynamodb", "UpdateItem")]
    # A later offload replaces it (If-Match on what it read; the old version stays as a previous one).
    assert job_update(job_id="young", execution_steps=big_steps(count=2)).steps_location == "s3"
    assert store.load(key) == big_steps(count=2)


def test_switching_from_inline_to_s3_removes_the_inline_steps(gateway, store):
    put(gateway, job_id="sw2", status="running", execution_steps=[{"step_name": "small"}])
    record = job_update(job_id="sw2", execution_steps=big_steps())
    assert STEPS not in gateway.get("sw2").item
    assert record.steps_key == "jobs/sw2/execution_steps.json"
    assert store.load(record.steps_key) == big_steps()


def test_an_object_that_could_not_be_deleted_is_left_for_the_orphan_repair(gateway, store, settings):
    put(gateway, job_id="keep", status="running")
    key = job_update(job_id="keep", execution_steps=big_steps()).steps_key
    unreachable = ExecutionStepsStore(PrivateS3Storage(bucket_name=store.bucket, endpoint_url="http://127.0.0.1:9"))
    record = job_update(job_id="keep", execution_steps=[{"step_name": "small"}], store=unreachable)
    assert record.steps_location == "inline" and STEPS_KEY not in gateway.get("keep").item
    assert store.head(key) is not None  # unreferenced: an orphan


def test_a_key_of_another_job_is_never_deleted(gateway, store):
    other = store.save("other", big_steps(count=1)).key
    put(gateway, job_id="borrower", execution_steps_s3_key=other)
    job_update(job_id="borrower", execution_steps=[{"step_name": "small"}])
    assert STEPS_KEY not in gateway.get("borrower").item
    assert store.load(other) == big_steps(count=1)


@pytest.mark.parametrize("key", ["other", "binary", "list"])
def test_writes_over_a_foreign_key_never_touch_the_object_it_names(gateway, store, monkeypatch, key):
    monkeypatch.setattr("jobs.services.ORPHAN_GRACE_SECONDS", 0)
    other = store.save("other", big_steps(count=1))
    stored_key = {"other": other.key, "binary": other.key.encode(), "list": [other.key]}[key]
    put(gateway, job_id="borrower", execution_steps_s3_key=stored_key)
    assert job_update(job_id="borrower", execution_steps=big_steps(count=2)).steps_key == steps_key("borrower")
    assert job_update(job_id="borrower", execution_steps=[{"step_name": "small"}]).steps_location == "inline"
    assert store.load(other.key) == big_steps(count=1) and store.head(other.key).version_id == other.version_id


def test_a_writer_that_offloads_between_our_read_and_write_loses_nothing(gateway, store):
    put(gateway, job_id="race", status="running")
    theirs = [{"step_name": "theirs"}]
    raced = []

    def other_service_writes_first(**_):
        if not raced:
            raced.append(True)
            key = store.save("race", theirs).key
            gateway.table.update_item(
                Key={"job_id": "race"}, **expression_kwargs(update=Update().set(STEPS_KEY, key).set("owner", "worker"))
            )

    with on_update_item(other_service_writes_first):
        record = job_update(job_id="race", execution_steps=[{"step_name": "ours"}])
    assert record.item[STEPS] == [{"step_name": "ours"}] and STEPS_KEY not in record.item
    assert record.item["owner"] == "worker"  # their attribute is kept
    # Their object is no longer referenced, but younger than the grace age: left to the orphan repair.
    assert store.load(steps_key("race")) == theirs


# ---- reading --------------------------------------------------------------------------------


def test_the_key_wins_when_both_exist(gateway, store):
    key = store.save("both", [{"step_name": "from s3"}]).key
    put(gateway, job_id="both", execution_steps=[{"step_name": "inline"}], execution_steps_s3_key=key)
    view = job_detail(job_id="both").steps
    assert (view.location, view.steps, view.s3_key) == ("s3", [{"step_name": "from s3"}], key)


@pytest.mark.parametrize("content_encoding", [{"ContentEncoding": "gzip"}, {}])
def test_gzip_objects_are_read(gateway, store, content_encoding):
    steps = [{"step_name": "压缩", "duration_ms": 1.5}]
    body = gzip.compress(b'[{"step_name": "\xe5\x8e\x8b\xe7\xbc\xa9", "duration_ms": 1.5}]')
    store.storage.s3_client().put_object(Bucket=store.bucket, Key=steps_key("gz"), Body=body, **content_encoding)
    put(gateway, job_id="gz", execution_steps_s3_key=steps_key("gz"))
    view = job_detail(job_id="gz").steps
    assert view.steps == steps and view.error is None and view.object_size == len(body)
    stored = store.save("gz2", steps, compress=True)
    assert store.storage.s3_client().head_object(Bucket=store.bucket, Key=stored.key)["ContentEncoding"] == "gzip"
    assert store.load(stored.key) == steps


@pytest.mark.parametrize(
    "body, error",
    [
        (None, "is missing (a dangling key"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[{'single': 'quotes'}]", "invalid JSON"),
        (b'[{"duration_ms": 1e999}]', "1e999 is too large for a number"),
        (b'{"not": "a list"}', "not a list of step objects"),
    ],
)
def test_unreadable_objects_give_an_error_instead_of_failing(gateway, store, body, error):
    if body is not None:
        store.storage.s3_client().put_object(Bucket=store.bucket, Key=steps_key("bad"), Body=body)
    put(gateway, job_id="bad", status="done", execution_steps_s3_key=steps_key("bad"))
    detail = job_detail(job_id="bad")
    assert detail.record.status == "done"
    assert detail.steps.steps is None and error in detail.steps.error
    assert detail.steps.missing is (body is None)


def test_s3_unreachable_on_read_still_returns_the_job(gateway, store):
    put(gateway, job_id="down", status="done", execution_steps_s3_key=steps_key("down"))
    unreachable = ExecutionStepsStore(PrivateS3Storage(bucket_name=store.bucket, endpoint_url="http://127.0.0.1:9"))
    detail = job_detail(job_id="down", store=unreachable)
    assert detail.record.status == "done" and "Cannot reach S3" in detail.steps.error


def test_malformed_inline_steps_and_keys_are_reported(gateway):
    put(gateway, job_id="odd1", execution_steps="not a list")
    assert "not a list of objects" in job_detail(job_id="odd1").steps.error
    put(gateway, job_id="odd2", execution_steps_s3_key=12)
    assert "Not followed: the key is not a string" in job_detail(job_id="odd2").steps.error


# ---- failures between the upload and the DynamoDB write ----------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        raising(EndpointConnectionError(endpoint_url="http://127.0.0.1:9")),
        raising(throttled()),
        raising(ReadTimeoutError(endpoint_url="http://127.0.0.1:9")),  # outcome unknown: re-read shows it unapplied
    ],
    ids=["no-connection", "throttled", "timeout"],
)
def test_a_failed_write_over_offloaded_steps_leaves_item_and_object_as_they_were(gateway, store, fault):
    put(gateway, job_id="f1", status="running")
    old = big_steps(marker="o")
    job_update(job_id="f1", execution_steps=old)
    before = gateway.get("f1").item
    with on_update_item(fault), pytest.raises(Unavailable):
        job_update(job_id="f1", execution_steps=big_steps(marker="n"), attributes={"status": "completed"})
    assert gateway.get("f1").item == before
    assert store.load(before[STEPS_KEY]) == old  # the new version was dropped, the old one is current


@pytest.mark.parametrize("fault", [raising(EndpointConnectionError(endpoint_url="x")), raising(throttled())])
def test_a_failed_write_over_inline_steps_leaves_no_object(gateway, store, fault):
    put(gateway, job_id="f2", status="running", execution_steps=[{"step_name": "kept"}])
    before = gateway.get("f2").item
    with on_update_item(fault), pytest.raises(Unavailable):
        job_update(job_id="f2", execution_steps=big_steps())
    assert gateway.get("f2").item == before
    assert store.head(steps_key("f2")) is None


def test_on_an_unversioned_bucket_an_unreferenced_upload_is_deleted(gateway, aws):
    client = ExecutionStepsStore().storage.s3_client()
    client.create_bucket(Bucket="plain-bucket")
    plain = ExecutionStepsStore(PrivateS3Storage(bucket_name="plain-bucket"))
    put(gateway, job_id="f3", status="running")
    before = gateway.get("f3").item
    with on_update_item(raising(throttled())), pytest.raises(Unavailable):
        job_update(job_id="f3", execution_steps=big_steps(), store=plain)
    assert gateway.get("f3").item == before
    assert plain.head(steps_key("f3")) is None


def test_a_write_applied_but_unanswered_keeps_the_object_it_refers_to(gateway, store):
    put(gateway, job_id="f4", status="running")
    new = big_steps(marker="n")
    with on_update_item(raising(ReadTimeoutError(endpoint_url="x")), when="after-call"), pytest.raises(Unavailable):
        job_update(job_id="f4", execution_steps=new)
    item = gateway.get("f4").item
    assert STEPS not in item and store.load(item[STEPS_KEY]) == new


def test_s3_unreachable_during_a_write_changes_nothing(gateway, store):
    put(gateway, job_id="f5", status="running", execution_steps=[{"step_name": "kept"}])
    before = gateway.get("f5").item
    unreachable = ExecutionStepsStore(PrivateS3Storage(bucket_name=store.bucket, endpoint_url="http://127.0.0.1:9"))
    with watch_calls() as calls, pytest.raises(Unavailable, match="Cannot reach S3"):
        job_update(job_id="f5", execution_steps=big_steps(), store=unreachable)
    assert ("dynamodb", "UpdateItem") not in calls
    assert gateway.get("f5").item == before


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps, message",
    [
        ({"step_name": "x"}, "list of objects"),
        (["x"], "list of objects"),
        ([{"x": float("nan")}], "NaN"),
        ([{"x": float("inf")}], "NaN and Infinity"),
    ],
)
def test_bad_steps_are_refused_before_any_request(gateway, steps, message):
    put(gateway, job_id="in", status="running")
    with watch_calls() as calls, pytest.raises(InvalidInput, match=message):
        job_update(job_id="in", execution_steps=steps)
    assert calls == []


@pytest.mark.parametrize("job_id", ["a/b", "..", "../x", "x\n"])
def test_unsafe_job_ids_are_refused(aws, job_id):
    with pytest.raises(InvalidInput, match="no '/'"):
        job_update(job_id=job_id, execution_steps=[])


def test_attribute_updates_cost_one_request_and_never_create_a_job(gateway):
    put(gateway, job_id="attr", status="running")
    with watch_calls() as calls:
        record = job_update(job_id="attr", attributes={"status": "done", "result.v2": 0.25})
    assert calls == [("dynamodb", "UpdateItem")]
    assert record.item["result.v2"] == to_dynamodb(0.25)  # a top-level name, dot and all
    with pytest.raises(NotFound):
        job_update(job_id="nobody", attributes={"status": "x"})
    assert gateway.get("nobody") is None
    with pytest.raises(InvalidInput, match="execution_steps_s3_key, updated_at"):
        job_update(job_id="attr", attributes={"updated_at": "x", "execution_steps_s3_key": "y"})
    with pytest.raises(InvalidInput, match="Nothing to update"):
        job_update(job_id="attr")
