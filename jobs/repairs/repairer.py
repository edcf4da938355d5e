"""The one stale-key repairer: `plan` a finding (reads only: the dry run and the preview), `apply`
it (the same plan, then one conditional write).

Every plan starts from a consistent read of the job, compared with the state the scan saw: a job
changed since is skipped, not forced. The write is then conditional on the exact values read
(the key, the inline step list and `updated_at`), so a worker writing in between makes it fail
instead of being overwritten. S3 refusals (403, S3 down) are never taken for "missing": the
finding is reported and nothing is dropped. `updated_at` is left alone: a repair changes where
the steps live, never what they are.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.conf import settings

from core.dynamo.expressions import Condition, Update
from core.dynamo.item_size import item_size
from core.dynamo.values import from_dynamodb
from core.errors import AppError, ConditionFailed, InvalidInput
from jobs.gateway import STEPS, STEPS_KEY, JobGateway, JobRecord
from jobs.steps_store import ExecutionStepsStore, StepsMissing, StepsUnreadable, StoredObject, encode_steps, steps_key

from .findings import (
    BOTH_PRESENT,
    DANGLING_KEY,
    DEFAULT_MIN_ORPHAN_AGE,
    DELETE_OBJECT,
    OFFLOAD,
    ORPHAN_OBJECT,
    OVERSIZE_INLINE,
    REMOVE_INLINE,
    REMOVE_KEY,
    WATCHED_ATTRIBUTES,
    Finding,
    ItemState,
    human_age,
    human_seconds,
    human_size,
    key_problem,
)

logger = logging.getLogger(__name__)

# Plan statuses
READY = "ready"
SKIP = "skip"  # nothing to do now, or not safe to do: reported, not an error
ERROR = "error"  # AWS could not be asked (403, throttling, unreachable): reported as a failure
# Outcome statuses
REPAIRED = "repaired"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class Plan:
    finding: Finding
    status: str
    change: str  # the exact change ("REMOVE execution_steps (12 steps inline; ...)"), or why none
    action: str | None = None
    record: JobRecord | None = None  # the job as re-read
    object: StoredObject | None = None  # the object as re-read


@dataclass(frozen=True)
class Outcome:
    finding: Finding
    status: str
    message: str
    action: str | None = None


class _NotReady(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def unchanged(item: dict) -> Condition:
    """True while the item still holds exactly the watched values read (absent ones still absent)."""
    return JobRecord(item).unchanged(*WATCHED_ATTRIBUTES)


class Repairer:
    def __init__(
        self,
        *,
        gateway: JobGateway | None = None,
        store: ExecutionStepsStore | None = None,
        min_orphan_age: int = DEFAULT_MIN_ORPHAN_AGE,
    ):
        self.gateway = gateway or JobGateway()
        self.store = store or ExecutionStepsStore()
        self.min_orphan_age = min_orphan_age
        self._planners: dict[str, Callable[[Finding], Plan]] = {
            BOTH_PRESENT: self._plan_both_present,
            DANGLING_KEY: self._plan_dangling_key,
            ORPHAN_OBJECT: self._plan_orphan_object,
            OVERSIZE_INLINE: self._plan_oversize_inline,
        }
        self._writers: dict[str, Callable[[Plan], None]] = {
            REMOVE_INLINE: lambda plan: self._remove(plan, STEPS),
            REMOVE_KEY: lambda plan: self._remove(plan, STEPS_KEY),
            DELETE_OBJECT: lambda plan: self.store.delete(plan.object.key, if_match=plan.object.etag),
            OFFLOAD: self._offload,
        }

    def plan(self, finding: Finding) -> Plan:
        """What applying the finding would change now. Reads only."""
        if finding.blocked:
            return Plan(finding, SKIP, f"No automatic repair: {finding.blocked}.")
        try:
            return self._planners[finding.kind](finding)
        except _NotReady as not_ready:
            return Plan(finding, not_ready.status, str(not_ready))
        except AppError as err:
            return Plan(finding, ERROR, f"Not checked: {err.detail}")

    def apply(self, finding: Finding, *, confirmed_action: str | None = None) -> Outcome:
        """Plan, then write. `confirmed_action`: what a preview showed; anything else is skipped."""
        plan = self.plan(finding)
        if plan.status != READY:
            return Outcome(finding, SKIPPED if plan.status == SKIP else FAILED, plan.change)
        if confirmed_action is not None and plan.action != confirmed_action:
            return Outcome(finding, SKIPPED, f"Not what the preview showed any more; now: {plan.change}")
        try:
            self._writers[plan.action](plan)
        except ConditionFailed as err:
            return Outcome(finding, SKIPPED, f"{err.detail} The repair was not forced; scan again.")
        except AppError as err:
            return Outcome(finding, FAILED, f"Not repaired: {err.detail}")
        return Outcome(finding, REPAIRED, plan.change, plan.action)

    # ---- plans ----

    def _reread(self, finding: Finding) -> JobRecord:
        record = self.gateway.get(finding.job_id)
        if record is None:
            raise _NotReady(SKIP, f"Job {finding.job_id} no longer exists.")
        if ItemState.of(record.item) != finding.state:
            raise _NotReady(SKIP, f"Job {finding.job_id} changed since the scan; scan again.")
        return record

    def _plan_both_present(self, finding: Finding) -> Plan:
        record = self._reread(finding)
        key = record.steps_key
        steps = record.inline_steps
        inline = f"{len(steps)} inline steps" if isinstance(steps, list) else "the inline steps"
        problem = key_problem(key)
        if problem:
            return self._ready(finding, record, REMOVE_KEY, f"REMOVE execution_steps_s3_key ({problem}; {inline} kept)")
        try:
            loaded = self.store.load(key)
        except StepsMissing:
            change = f"REMOVE execution_steps_s3_key {key} (S3 object missing; {inline} kept)"
            return self._ready(finding, record, REMOVE_KEY, change)
        except StepsUnreadable as err:
            change = (
                f"REMOVE execution_steps_s3_key {key} (S3 object unreadable: {err}; {inline} kept; "
                "the object is left to the orphan check)"
            )
            return self._ready(finding, record, REMOVE_KEY, change)
        size = f", {human_size(finding.object.size)}" if finding.object else ""
        change = f"REMOVE execution_steps ({inline}; S3 object {key}{size}, readable: {len(loaded)} steps)"
        return self._ready(finding, record, REMOVE_INLINE, change)

    def _plan_dangling_key(self, finding: Finding) -> Plan:
        record = self._reread(finding)
        key = record.steps_key
        problem = key_problem(key)
        if problem:
            return self._ready(
                finding, record, REMOVE_KEY, f"REMOVE execution_steps_s3_key ({problem}; no inline steps)"
            )
        stored = self.store.head(key)
        if stored is not None:
            raise _NotReady(
                SKIP, f"The S3 object {key} exists now ({human_size(stored.size)}): the key is not dangling."
            )
        change = f"REMOVE execution_steps_s3_key {key} (S3 object missing and no inline steps: the steps are lost)"
        return self._ready(finding, record, REMOVE_KEY, change)

    def _plan_orphan_object(self, finding: Finding) -> Plan:
        key = finding.s3_key
        now = datetime.now(UTC)
        self._check_grace(finding.object, now)
        stored = self.store.head(key)
        if stored is None:
            raise _NotReady(SKIP, f"The S3 object {key} is already gone.")
        if finding.object is not None and stored.etag != finding.object.etag:
            raise _NotReady(SKIP, f"The S3 object {key} was rewritten since the scan; scan again.")
        self._check_grace(stored, now)
        record = self.gateway.get(finding.job_id)
        if record is not None and record.steps_key == key:
            raise _NotReady(SKIP, f"Job {finding.job_id} references {key} now.")
        age = human_age(stored.last_modified, now)
        change = f"DELETE S3 object {key} ({human_size(stored.size)}, {age} old; no job references it)"
        return Plan(finding, READY, change, DELETE_OBJECT, record=record, object=stored)

    def _check_grace(self, stored: StoredObject | None, now: datetime) -> None:
        if stored is None or stored.last_modified is None:
            return
        if (now - stored.last_modified).total_seconds() < self.min_orphan_age:
            raise _NotReady(
                SKIP,
                f"Kept: {human_age(stored.last_modified, now)} old, younger than the grace age "
                f"({human_seconds(self.min_orphan_age)}); a worker may be about to write its key.",
            )

    def _plan_oversize_inline(self, finding: Finding) -> Plan:
        record = self._reread(finding)
        size = item_size(record.item)
        margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
        if size <= margin:
            raise _NotReady(SKIP, f"The item is {human_size(size)} now, within the offload margin.")
        steps = record.inline_steps
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            raise _NotReady(SKIP, "The inline steps are not a list of step objects: repair them by hand.")
        target = steps_key(record.job_id)
        try:
            body = encode_steps(from_dynamodb(steps))
        except (TypeError, ValueError, InvalidInput) as err:
            raise _NotReady(SKIP, f"The inline steps cannot be written as JSON ({err}): repair them by hand.")
        existing = self.store.head(target)
        if existing is not None:
            raise _NotReady(
                SKIP,
                f"An object is already at {target} ({human_size(existing.size)}): an orphan, or a worker's upload "
                "in flight. It is never replaced; deal with it first.",
            )
        after = item_size({**{k: v for k, v in record.item.items() if k != STEPS}, STEPS_KEY: target})
        change = (
            f"Upload the {len(steps)} inline steps ({human_size(len(body))} of JSON) to S3 object "
            f"{target}, SET execution_steps_s3_key, REMOVE execution_steps "
            f"(item {human_size(size)} -> {human_size(after)})"
        )
        return self._ready(finding, record, OFFLOAD, change)

    @staticmethod
    def _ready(finding: Finding, record: JobRecord, action: str, change: str) -> Plan:
        return Plan(finding, READY, change, action, record=record)

    # ---- writes ----

    def _remove(self, plan: Plan, attribute: str) -> None:
        self.gateway.write(plan.record.job_id, Update().remove(attribute), condition=unchanged(plan.record.item))

    def _offload(self, plan: Plan) -> None:
        """Upload without ever replacing an object (S3 If-None-Match), then point the item at it and
        drop the inline steps in one update conditional on the item as read."""
        record = plan.record
        stored = self.store.save(record.job_id, from_dynamodb(record.inline_steps), if_absent=True)
        update = Update().set(STEPS_KEY, stored.key).remove(STEPS)
        try:
            self.gateway.write(record.job_id, update, condition=unchanged(record.item))
        except AppError:
            self._discard(replace(plan, object=stored))
            raise

    def _discard(self, plan: Plan) -> None:
        """Delete the object uploaded for a failed offload, unless the item has come to reference it
        (an update whose outcome is unknown) or a worker has rewritten it since."""
        job_id, stored = plan.record.job_id, plan.object
        try:
            latest = self.gateway.get(job_id)
            if latest is None or latest.steps_key != stored.key:
                self.store.delete(stored.key, if_match=stored.etag)
        except AppError as err:
            logger.warning("Job %s: left %s in place (%s); the orphan check will report it", job_id, stored.key, err)
