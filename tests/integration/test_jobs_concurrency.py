"""Two writers of one job's steps in the interleavings that used to lose one's work, forced with
botocore event hooks on each thread's own clients, against the one-request-at-a-time moto server.

The S3 key of a job's steps is always the same (`jobs/{job_id}/execution_steps.json`), so a key in
the item does not say whose upload the object holds: writers must not trust it alone."""

import threading

from django.conf import settings

from core.dynamo.connection import dynamodb_client, dynamodb_table
from jobs.gateway import STEPS, STEPS_KEY
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore

LARGE = 350_000  # characters: past the offload margin


def steps(marker: str, large: bool) -> list[dict]:
    return [{"step_name": marker, "output": "x" * LARGE if large else "ok"}]


def write(marker: str, large: bool) -> None:
    job_update(job_id="j", execution_steps=steps(marker, large), attributes={"current_step": marker})


def run(first, second) -> None:
    failures = []

    def main(work):
        try:
            work()
        except BaseException as err:  # reported by the test, not lost in the thread
            failures.append(err)

    threads = [threading.Thread(target=main, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def when(client, event: str, action) -> None:
    """Call `action` on `event` of this thread's `client`, once; the call itself goes on."""
    done = []

    def hook(**_kwargs):
        if not done:
            done.append(True)
            action()

    client.meta.events.register(event, hook)


def final_job() -> tuple[str, list[dict]]:
    """The job's `current_step` and the steps it points at, wherever they live."""
    item = dynamodb_table(settings.DYNAMODB_JOBS_TABLE).get_item(Key={"job_id": "j"}, ConsistentRead=True)["Item"]
    assert not (STEPS in item and STEPS_KEY in item)
    found = ExecutionStepsStore().load(item[STEPS_KEY]) if STEPS_KEY in item else item[STEPS]
    return item["current_step"], found


def offloaded_job() -> None:
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "j", "status": "running"})
    write("first", large=True)


def test_an_upload_overwritten_by_another_writer_is_not_pointed_at(atomic_aws):
    # A uploads, B uploads and commits, then A commits: A's commit must fail (and A retry), or the
    # job would say A while holding B's steps, and A's acknowledged steps would be lost.
    offloaded_job()
    a_uploaded, b_done = threading.Event(), threading.Event()

    def a():
        store = ExecutionStepsStore()
        when(store.storage.s3_client(), "after-call.s3.PutObject", a_uploaded.set)
        when(dynamodb_client(), "before-call.dynamodb.UpdateItem", lambda: b_done.wait(30))
        job_update(job_id="j", execution_steps=steps("A", True), attributes={"current_step": "A"}, store=store)

    def b():
        a_uploaded.wait(30)
        try:
            write("B", large=True)
        finally:
            b_done.set()

    run(a, b)
    marker, found = final_job()
    assert marker == "A" and found == steps("A", True)  # A committed last, with its own steps


def test_an_object_uploaded_by_another_writer_after_an_inline_write_is_not_deleted(atomic_aws):
    # A writes small steps inline over an offloaded job; before A deletes the old object, B
    # offloads large steps to the same key and commits: A must spare B's object, or B's job
    # would point at nothing (a dangling key) and B's acknowledged steps would be lost.
    offloaded_job()
    a_committed, b_done = threading.Event(), threading.Event()

    def a():
        store = ExecutionStepsStore()
        when(dynamodb_client(), "after-call.dynamodb.UpdateItem", a_committed.set)
        when(store.storage.s3_client(), "before-call.s3.DeleteObject", lambda: b_done.wait(30))
        job_update(job_id="j", execution_steps=steps("A", False), attributes={"current_step": "A"}, store=store)

    def b():
        a_committed.wait(30)
        try:
            write("B", large=True)
        finally:
            b_done.set()

    run(a, b)
    marker, found = final_job()
    assert marker == "B" and found == steps("B", True)
