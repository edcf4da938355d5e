"""Job operations shared by the API, the admin and commands."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from core.dynamo.expressions import Update
from core.dynamo.item_size import item_size
from core.dynamo.retry import retry_on_conflict
from core.dynamo.values import to_dynamodb
from core.errors import ConditionFailed, InvalidInput, ItemTooLarge, NotFound, Unavailable

from .gateway import STEPS, STEPS_KEY, JobGateway, JobRecord
from .steps_store import ExecutionStepsStore, StepsMissing, StepsUnreadable, StoredObject, validate_job_id

logger = logging.getLogger(__name__)

# Attributes a job update may not set: the key, and the steps pair, which only job_update moves.
PROTECTED_ATTRIBUTES = {"job_id", STEPS, STEPS_KEY, "updated_at"}


@dataclass(frozen=True)
class StepsView:
    """A job's execution steps as readers see them, wherever they live."""

    steps: list | None
    location: str  # "inline", "s3" or "none"
    s3_key: str | None
    error: str | None = None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_get(*, job_id: str, gateway: JobGateway | None = None) -> JobRecord:
    validate_job_id(job_id)
    record = (gateway or JobGateway()).get(job_id)
    if record is None:
        raise NotFound(f"No job '{job_id}'.")
    return record


def job_execution_steps(*, record: JobRecord, store: ExecutionStepsStore | None = None) -> StepsView:
    """The steps, loaded from S3 when offloaded (the key wins over inline steps). A failed read
    is reported in `error`; the job itself stays readable."""
    if record.steps_location != "s3":
        return StepsView(steps=record.inline_steps, location=record.steps_location, s3_key=None)
    key = record.steps_key
    try:
        steps = (store or ExecutionStepsStore()).load(key)
    except StepsMissing:
        error = f"The S3 object {key} is missing (a dangling key: see Stale key repairs)."
    except StepsUnreadable as err:
        error = f"The S3 object {key} cannot be read: {err}."
    except Unavailable as err:
        error = err.detail
    else:
        return StepsView(steps=steps, location="s3", s3_key=key)
    return StepsView(steps=None, location="s3", s3_key=key, error=error)


def job_update(
    *,
    job_id: str,
    attributes: dict[str, Any] | None = None,
    execution_steps: list | None = None,
    gateway: JobGateway | None = None,
    store: ExecutionStepsStore | None = None,
) -> JobRecord:
    """Set top-level `attributes` and, when given, replace the execution steps.

    The steps go inline unless the item as it will be after the update would pass
    EXECUTION_STEPS_OFFLOAD_BYTES (exact DynamoDB size), in which case they are uploaded to S3
    first and the key written in place of inline steps in one update. Either way the update is
    conditional on the S3 key being what was read, and never leaves both inline steps and a key.
    """
    validate_job_id(job_id)
    attributes = dict(attributes or {})
    protected = PROTECTED_ATTRIBUTES & attributes.keys()
    if protected:
        raise InvalidInput(f"These attributes cannot be set here: {', '.join(sorted(protected))}.")
    values = {name: to_dynamodb(value, name) for name, value in attributes.items()}
    steps = None if execution_steps is None else to_dynamodb(validate_steps(execution_steps), STEPS)
    gateway = gateway or JobGateway()
    store = store or ExecutionStepsStore()

    def attempt() -> JobRecord:
        current = gateway.get(job_id)
        if current is None:
            raise NotFound(f"No job '{job_id}'.")
        if steps is None:
            return gateway.write(job_id, _attribute_update(values), condition=current.key_condition())
        if _size_with_inline_steps(current, values, steps) > settings.EXECUTION_STEPS_OFFLOAD_BYTES:
            return _write_offloaded(gateway, store, current, values, execution_steps)
        inline = _attribute_update(values).set(STEPS, steps).remove(STEPS_KEY)
        try:
            written = gateway.write(job_id, inline, condition=current.key_condition())
        except ItemTooLarge:
            # Another attribute grew since the size was taken: the steps go to S3 after all.
            return _write_offloaded(gateway, store, current, values, execution_steps)
        if current.steps_key:
            _delete_unreferenced(gateway, store, job_id, current.steps_key)
        return written

    return retry_on_conflict(attempt, what=f"Job '{job_id}'")


def validate_steps(steps: Any) -> list:
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise InvalidInput("execution_steps must be a list of objects.")
    return steps


def _attribute_update(values: dict[str, Any]) -> Update:
    update = Update()
    for name, value in values.items():
        update.set(name, value)
    return update.set("updated_at", utc_now())


def _size_with_inline_steps(current: JobRecord, values: dict[str, Any], steps: list) -> int:
    after = {**current.item, **values, "updated_at": utc_now(), STEPS: steps}
    after.pop(STEPS_KEY, None)
    return item_size(after)


def _write_offloaded(
    gateway: JobGateway, store: ExecutionStepsStore, current: JobRecord, values: dict[str, Any], steps: list
) -> JobRecord:
    """Upload first, then point the item at the object and drop inline steps in one update."""
    stored = store.save(current.job_id, steps)
    update = _attribute_update(values).set(STEPS_KEY, stored.key).remove(STEPS)
    try:
        return gateway.write(current.job_id, update, condition=current.key_condition())
    except (ConditionFailed, ItemTooLarge):
        # Definitely not written. (After Unavailable the outcome is unknown: nothing is undone,
        # and an object left unreferenced is found by the orphan repair.)
        _undo_upload(gateway, store, current, stored)
        raise


def _undo_upload(gateway: JobGateway, store: ExecutionStepsStore, current: JobRecord, stored: StoredObject) -> None:
    """Make S3 hold again what the unchanged item refers to, where that can be done safely."""
    if stored.version_id:
        try:
            store.delete_version(stored.key, stored.version_id)  # the version before it is current again
        except Unavailable:
            logger.warning("Job %s: could not drop version %s of %s", current.job_id, stored.version_id, stored.key)
    elif current.steps_key == stored.key:
        logger.error("Job %s: unversioned bucket; a failed update replaced the object %s", current.job_id, stored.key)
    else:
        _delete_unreferenced(gateway, store, current.job_id, stored.key)


def _delete_unreferenced(gateway: JobGateway, store: ExecutionStepsStore, job_id: str, key: str) -> None:
    """Delete the object the item no longer refers to, unless a writer has pointed at it again."""
    try:
        latest = gateway.get(job_id)
        if latest is None or latest.steps_key != key:
            store.delete(key)
    except Unavailable:
        logger.warning("Job %s: could not delete %s; the orphan repair will find it", job_id, key)
