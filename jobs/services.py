"""Job operations shared by the API, the admin and commands."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from core.dynamo.errors import surely_not_applied
from core.dynamo.expressions import Path, Update, as_read
from core.dynamo.item_size import item_size
from core.dynamo.retry import retry_on_conflict
from core.dynamo.values import from_dynamodb, to_dynamodb
from core.errors import (
    AppError,
    ChangedMeanwhile,
    ConditionFailed,
    Conflict,
    InvalidInput,
    ItemTooLarge,
    NotFound,
    Unavailable,
)
from core.timestamps import utc_iso, utc_now_iso

from .gateway import STEPS, STEPS_KEY, JobGateway, JobRecord
from .steps_store import (
    ORPHAN_GRACE_SECONDS,
    ExecutionStepsStore,
    StepsMissing,
    StepsUnreadable,
    StoredObject,
    foreign_key_problem,
    job_id_of_key,
    key_names,
    names_nothing,
    steps_key,
    validate_job_id,
)

logger = logging.getLogger(__name__)

# Attributes a job update may not set: the key, and the steps pair, which only job_update moves.
PROTECTED_ATTRIBUTES = {"job_id", STEPS, STEPS_KEY, "updated_at"}
# DynamoDB's limit for a partition key value: no item can have a longer id.
MAX_KEY_BYTES = 2048
# A write of steps goes ahead only while these are as read (see job_update).
WRITE_GUARD = (STEPS_KEY, "updated_at")


@dataclass(frozen=True)
class StepsView:
    """A job's execution steps as readers see them, wherever they live: values as stored (numbers as
    Decimal, exact), shown through core.display."""

    steps: list | None
    location: str  # "inline", "s3" or "none"
    s3_key: str | None
    error: str | None = None
    object_size: int | None = None  # bytes of the S3 object the steps were read from
    missing: bool = False  # the key points at no object
    foreign: bool = False  # the key is not the job's own: never followed


@dataclass(frozen=True)
class JobDetail:
    record: JobRecord
    steps: StepsView


def job_get(*, job_id: str, gateway: JobGateway | None = None) -> JobRecord:
    """The job; reading accepts any id (items written elsewhere may have ids we would not write)."""
    if not job_id or len(job_id.encode("utf-8")) > MAX_KEY_BYTES:
        raise NotFound(f"No job '{job_id[:100]}'.")
    record = (gateway or JobGateway()).get(job_id)
    if record is None:
        raise NotFound(f"No job '{job_id}'.")
    return record


def job_detail(
    *, job_id: str, gateway: JobGateway | None = None, store: ExecutionStepsStore | None = None
) -> JobDetail:
    record = job_get(job_id=job_id, gateway=gateway)
    return JobDetail(record=record, steps=job_execution_steps(record=record, store=store))


def job_execution_steps(
    *, record: JobRecord, store: ExecutionStepsStore | None = None, written: list | None = None
) -> StepsView:
    """The steps, loaded from S3 when offloaded (the key wins over inline steps). A failed read
    is reported in `error`; the job itself stays readable. `written`: the steps that `job_update`
    has just written, `record` being its result; offloaded, they are returned as uploaded
    instead of downloaded again."""
    location = record.steps_location
    if location == "none":
        return StepsView(steps=None, location=location, s3_key=None)
    if location == "inline":
        steps = record.inline_steps
        if not _is_step_list(steps):
            return StepsView(
                steps=None, location=location, s3_key=None, error="The inline steps are not a list of objects."
            )
        return StepsView(steps=steps, location=location, s3_key=None)
    key = record.steps_key
    foreign = foreign_key_problem(record.job_id, key)
    if foreign is not None:
        shown = key if isinstance(key, str) else None
        error = f"Not followed: {foreign} (a foreign key: see Stale key repairs)."
        return StepsView(steps=None, location=location, s3_key=shown, error=error, foreign=True)
    if names_nothing(key):
        return StepsView(steps=None, location=location, s3_key=None, error="The S3 key is empty.")
    if written is not None:
        return StepsView(steps=to_dynamodb(written, STEPS), location=location, s3_key=key)
    try:
        loaded = (store or ExecutionStepsStore()).read(key)
    except StepsMissing:
        error = f"The S3 object {key} is missing (a dangling key: see Stale key repairs)."
        return StepsView(steps=None, location=location, s3_key=key, error=error, missing=True)
    except StepsUnreadable as err:
        error = f"The S3 object {key} cannot be read: {err}."
    except Unavailable as err:
        error = err.detail
    else:
        return StepsView(steps=loaded.steps, location=location, s3_key=key, object_size=loaded.object.size)
    return StepsView(steps=None, location=location, s3_key=key, error=error)


def job_stale_key(*, record: JobRecord, steps: StepsView) -> str | None:
    """The stale-key finding this job shows, if any: `foreign_key`, `both_present`, `dangling_key`
    or `oversize_inline` (named as the repairs name them)."""
    if steps.foreign:
        return "foreign_key"
    if record.has_both:
        return "both_present"
    if steps.missing:
        return "dangling_key"
    if steps.location == "inline" and item_size(record.item) > settings.EXECUTION_STEPS_OFFLOAD_BYTES:
        return "oversize_inline"
    return None


def job_update(
    *,
    job_id: str,
    attributes: dict[str, Any] | None = None,
    execution_steps: list | None = None,
    read: Mapping[str, Any] | None = None,
    gateway: JobGateway | None = None,
    store: ExecutionStepsStore | None = None,
) -> JobRecord:
    """Set top-level `attributes` and, when given, replace the execution steps.

    With `read` (the item as the caller showed it; attributes only), the write holds only while
    the attributes it sets are still as read, else ChangedMeanwhile.

    The steps go inline unless the item as it will be after the update would pass
    EXECUTION_STEPS_OFFLOAD_BYTES (exact DynamoDB size), in which case they are uploaded to S3
    first and the key written in place of inline steps in one update. Either way the update never
    leaves both inline steps and a key, and is conditional on the key and `updated_at` being what
    was read: rewriting offloaded steps keeps the key, so without `updated_at` (which every write
    changes) a writer whose upload was overwritten by another's could still point the item at it.
    """
    validate_job_id(job_id)
    attributes = dict(attributes or {})
    if not attributes and execution_steps is None:
        raise InvalidInput("Nothing to update: give attributes or execution_steps.")
    for name in attributes:
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"Attribute names are non-empty strings, not {name!r}.")
    protected = PROTECTED_ATTRIBUTES & attributes.keys()
    if protected:
        raise InvalidInput(f"These attributes cannot be set here: {', '.join(sorted(protected))}.")
    values = {name: to_dynamodb(value, name) for name, value in attributes.items()}
    gateway = gateway or JobGateway()
    if execution_steps is None:
        condition = None if read is None else as_read(read, values)
        try:
            return gateway.write(job_id, _attribute_update(values, utc_now_iso()), condition=condition)
        except ConditionFailed:
            if condition is not None and gateway.get(job_id) is not None:
                raise ChangedMeanwhile(f"Job '{job_id}' was changed by another writer meanwhile.") from None
            raise NotFound(f"No job '{job_id}'.")
    if read is not None:
        raise InvalidInput("A write of execution steps is conditional on what it reads itself.")
    steps = to_dynamodb(validate_steps(execution_steps), STEPS)
    store = store or ExecutionStepsStore()

    def attempt() -> JobRecord:
        current = gateway.get(job_id)
        if current is None:
            raise NotFound(f"No job '{job_id}'.")
        now = _new_updated_at(current)
        if _size_with_inline_steps(current, values, steps, now) > settings.EXECUTION_STEPS_OFFLOAD_BYTES:
            return _write_offloaded(gateway, store, current, _attribute_update(values, now), steps)
        replaced = _object_pointed_at(store, current)
        inline = _attribute_update(values, now).set(STEPS, steps).remove(STEPS_KEY)
        try:
            written = gateway.write(job_id, inline, condition=current.unchanged(*WRITE_GUARD))
        except ItemTooLarge:
            # Another attribute grew since the item was read: the steps go to S3 after all, with
            # the write conditional on the item as it is now.
            latest = gateway.get(job_id)
            if latest is None:
                raise NotFound(f"No job '{job_id}'.")
            return _write_offloaded(gateway, store, latest, _attribute_update(values, _new_updated_at(latest)), steps)
        if replaced is not None:
            _delete_replaced(gateway, store, job_id, replaced)
        return written

    return retry_on_conflict(attempt, what=f"Job '{job_id}'")


def validate_steps(steps: Any) -> list:
    if not _is_step_list(steps):
        raise InvalidInput("execution_steps must be a list of objects.")
    return steps


def _is_step_list(steps: Any) -> bool:
    return isinstance(steps, list) and all(isinstance(step, dict) for step in steps)


def _new_updated_at(current: JobRecord) -> str:
    """Now; a millisecond later when now is the `updated_at` read, so that every write changes it."""
    now = utc_now_iso()
    if now != current.item.get("updated_at"):
        return now
    return utc_iso(datetime.fromisoformat(now) + timedelta(milliseconds=1), timespec="milliseconds")


def _object_pointed_at(store: ExecutionStepsStore, current: JobRecord) -> StoredObject | None:
    """The job's S3 object that inline steps are about to replace: the version current now, which
    alone may be deleted afterwards (a later upload to the key is another version)."""
    key = current.steps_key
    if not key:
        return None
    if job_id_of_key(key) != current.job_id:
        logger.warning("Job %s: not deleting %r, which is not this job's steps key", current.job_id, key)
        return None
    try:
        return store.head(key)
    except AppError as err:
        logger.warning("Job %s: cannot see %s (%s); the orphan repair will find it", current.job_id, key, err)
        return None


def _delete_replaced(gateway: JobGateway, store: ExecutionStepsStore, job_id: str, replaced: StoredObject) -> None:
    """After an inline write: delete the version the item pointed at, only when it is older than
    the orphan grace age. A younger one may be an upstream worker's upload whose item write is
    still to come (upload, then update_item): it is left for the orphan repair to judge later."""
    if replaced.younger_than(ORPHAN_GRACE_SECONDS, datetime.now(UTC)):
        logger.info("Job %s: %s is younger than the grace age; left to the orphan repair", job_id, replaced.key)
        return
    _delete_unreferenced(gateway, store, job_id, replaced)


def _attribute_update(values: dict[str, Any], now: str) -> Update:
    update = Update()
    for name, value in values.items():
        update.set(Path(name), value)  # a top-level name, even when it holds a dot or brackets
    return update.set("updated_at", now)


def _size_with_inline_steps(current: JobRecord, values: dict[str, Any], steps: list, now: str) -> int:
    after = {**current.item, **values, "updated_at": now, STEPS: steps}
    after.pop(STEPS_KEY, None)
    return item_size(after)


def _write_offloaded(
    gateway: JobGateway, store: ExecutionStepsStore, current: JobRecord, update: Update, steps: list
) -> JobRecord:
    """Upload first, then point the item at the object and drop inline steps in one update."""
    stored = _upload_over_what_was_read(store, current, from_dynamodb(steps))  # what inline storage would hold
    try:
        return gateway.write(
            current.job_id, update.set(STEPS_KEY, stored.key).remove(STEPS), condition=current.unchanged(*WRITE_GUARD)
        )
    except AppError as err:
        if surely_not_applied(err) or _still_as_read(gateway, current):
            _undo_upload(gateway, store, current, stored)
        else:
            logger.warning(
                "Job %s: update outcome unknown (%s); %s is left as uploaded", current.job_id, err, stored.key
            )
        raise


def _upload_over_what_was_read(store: ExecutionStepsStore, current: JobRecord, steps: list) -> StoredObject:
    """Upload the steps replacing only the object read just before (If-Match), or only where there
    is none (If-None-Match: the usual case when the item names no object). An object that changes
    between that read and the upload is another writer's upload in flight. When it is one of ours,
    the whole write is tried again (ConditionFailed: that writer's item write is conditional too).
    When it is another service's, whose item write is blind and still to come, this write gives way
    (409) rather than going over it. A replaced object stays in the bucket as a previous version."""
    job_id, key = current.job_id, steps_key(current.job_id)
    try:
        if current.steps_key != key:
            try:
                return store.save(job_id, steps, if_absent=True)
            except ConditionFailed:
                pass  # an object the item does not name: replaced only as read
        read = store.head(key)
        if read is None:
            return store.save(job_id, steps, if_absent=True)
        return store.save(job_id, steps, if_match=read.etag)
    except ConditionFailed:
        uploaded = store.head(key)
        if uploaded is not None and uploaded.ours:
            raise
        raise Conflict(f"Another service is uploading the steps of job '{job_id}' now; try again.")


def _still_as_read(gateway: JobGateway, current: JobRecord) -> bool:
    """After a write whose outcome is unknown: True when the item is provably untouched by it."""
    try:
        latest = gateway.get(current.job_id)
    except AppError:
        return False
    return latest is not None and latest.item == current.item


def _undo_upload(gateway: JobGateway, store: ExecutionStepsStore, current: JobRecord, stored: StoredObject) -> None:
    """Make S3 hold again what the unchanged item refers to, where that can be done safely."""
    if stored.version_id:
        try:
            store.delete_version(stored.key, stored.version_id)  # the version before it is current again
        except AppError:
            logger.warning("Job %s: could not drop version %s of %s", current.job_id, stored.version_id, stored.key)
    elif current.steps_key == stored.key:
        logger.error("Job %s: unversioned bucket; a failed update replaced the object %s", current.job_id, stored.key)
    else:
        _delete_unreferenced(gateway, store, current.job_id, stored)


def _delete_unreferenced(gateway: JobGateway, store: ExecutionStepsStore, job_id: str, stored: StoredObject) -> None:
    """Delete exactly the object read (its version, or while its ETag holds) once the item no longer
    refers to the key, unless a writer has pointed at it again: another writer's upload is theirs."""
    try:
        latest = gateway.get(job_id)
        if latest is None or stored.key not in key_names(latest.steps_key):
            store.delete_exactly(stored)
    except ConditionFailed:
        logger.info("Job %s: %s was uploaded again meanwhile; left to its writer", job_id, stored.key)
    except AppError:
        logger.warning("Job %s: could not delete %s; the orphan repair will find it", job_id, stored.key)
