"""Repair invariants, model-checked: hypothesis builds small tables and buckets as upstream writers
could leave them (inline steps, keys of every type and owner, objects readable or not, orphans,
oversize items), then `repair_stale_keys --apply --kind all` runs, and nothing may be lost:

- every step list a reader was served before (the own readable object, or inline steps) is served after;
- inline steps are removed only where the job's own object now serves readable steps;
- no object that any job names, whatever the key's type, is deleted or changed;
- a job whose key is not its own is left exactly as it was.
"""

import gzip
import json

import pytest
from boto3.dynamodb.types import Binary
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from jobs.gateway import STEPS, STEPS_KEY, JobRecord
from jobs.services import job_execution_steps
from jobs.steps_store import key_names, steps_key
from tests.integration.test_repairs_scan import World

pytestmark = pytest.mark.django_db

JOB_IDS = ("j0", "j1", "j2", "j3")
SECRET = "secret/config.json"

step_lists = st.lists(
    st.fixed_dictionaries({"step_name": st.text(max_size=6)}, optional={"n": st.integers(-1000, 1000)}),
    max_size=3,
)
inline_values = st.one_of(step_lists, st.just("not a list"), st.just([1, 2]))


@st.composite
def keys(draw, job_id: str):
    other = draw(st.sampled_from(JOB_IDS))
    return draw(
        st.sampled_from(
            [
                steps_key(job_id),
                steps_key(other),
                SECRET,
                "",
                None,
                Binary(steps_key(other).encode()),
                [steps_key(other)],
                {steps_key(other)},
            ]
        )
    )


object_bodies = st.one_of(
    step_lists.map(lambda steps: json.dumps(steps).encode()),
    step_lists.map(lambda steps: gzip.compress(json.dumps(steps).encode())),
    st.sampled_from([b"\xff\xfe not utf-8", b"not json", b'{"steps": []}', b"[1]"]),
)


@st.composite
def worlds(draw):
    jobs = {}
    for job_id in draw(st.lists(st.sampled_from(JOB_IDS), unique=True, max_size=4)):
        item = {"job_id": job_id, "status": "running", "updated_at": "2025-11-07T10:00:00.000Z"}
        if draw(st.booleans()):
            item[STEPS] = draw(inline_values)
        if draw(st.booleans()):
            item[STEPS_KEY] = draw(keys(job_id))
        if draw(st.booleans()):
            item["padding"] = "p" * 600  # past the small offload margin with any inline steps
        jobs[job_id] = item
    objects = {steps_key(job_id): draw(object_bodies) for job_id in draw(st.sets(st.sampled_from(JOB_IDS)))}
    objects[SECRET] = b'[{"password": "hunter2"}]'
    return jobs, objects


def plant(world: World, jobs: dict, objects: dict) -> None:
    for item in world.items():
        world.table.delete_item(Key={"job_id": item["job_id"]})
    versions = world.s3.list_object_versions(Bucket=world.bucket)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        world.s3.delete_object(Bucket=world.bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    for key, body in objects.items():
        world.s3.put_object(Bucket=world.bucket, Key=key, Body=body)
    for item in jobs.values():
        world.table.put_item(Item=item)


def served(world: World) -> dict[str, list | None]:
    """What a reader is served for each job (None: an error instead of steps)."""
    return {item["job_id"]: job_execution_steps(record=JobRecord(item)).steps for item in world.items()}


@pytest.fixture
def world(aws, settings):
    settings.EXECUTION_STEPS_OFFLOAD_BYTES = 500
    return World()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(planted=worlds())
def test_apply_all_loses_no_steps_and_no_named_object(world, planted, capsys):
    jobs, objects = planted
    plant(world, jobs, objects)
    before_items = {item["job_id"]: item for item in world.items()}
    before_served = served(world)
    named = set().union(*(key_names(item.get(STEPS_KEY)) for item in before_items.values()))
    before_objects = world.objects()

    call_command("repair_stale_keys", "--apply", "--kind", "all", "--min-orphan-age", "0", "--json")
    capsys.readouterr()

    after_items = {item["job_id"]: item for item in world.items()}
    after_served = served(world)
    after_objects = world.objects()
    assert after_items.keys() == before_items.keys()
    for job_id, steps in before_served.items():
        if steps is not None:
            assert after_served[job_id] == steps, job_id
    for job_id, before in before_items.items():
        after = after_items[job_id]
        if STEPS in before and STEPS not in after:
            assert after[STEPS_KEY] == steps_key(job_id) and after_served[job_id] is not None, job_id
        if before.get(STEPS_KEY) not in (None, "", steps_key(job_id)):
            assert after == before, job_id  # a foreign key: reported, never repaired
    for key in named & before_objects.keys():
        assert after_objects.get(key) == before_objects[key], key
    assert after_objects[SECRET] == before_objects[SECRET]
