"""The one stale-key repairer: `plan` a finding (reads only: the dry run and the preview), `apply`
it (the same plan, then one conditional write or one exact delete). What each kind checks and
changes is its class's (kinds.py); the repairer gives them the reads and writes they share.

Every plan starts from a consistent read of the job, compared with the state the scan saw: a job
changed since is skipped, not forced. The write is then conditional on the exact values read
(the key, the inline step list and `updated_at`), so a worker writing in between makes it fail
instead of being overwritten. S3 refusals (403, S3 down) are never taken for "missing": the
finding is reported and nothing is dropped. Objects are deleted by version id, never younger than
the grace age. `updated_at` is left alone: a repair changes where the steps live, never what they are.
"""

import logging
from datetime import datetime

from core.dynamo.expressions import Condition, Update
from core.errors import AppError, ConditionFailed
from jobs.gateway import JobGateway, JobRecord
from jobs.steps_store import ExecutionStepsStore, StoredObject

from .findings import DEFAULT_MIN_ORPHAN_AGE, WATCHED_ATTRIBUTES, Finding, ItemState, human_age, human_seconds
from .kinds import kind_named
from .plans import ERROR, FAILED, READY, REPAIRED, SKIP, SKIPPED, NotReady, Outcome, Plan

__all__ = ["FAILED", "READY", "REPAIRED", "SKIPPED", "Outcome", "Plan", "Repairer"]

logger = logging.getLogger(__name__)


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

    def plan(self, finding: Finding) -> Plan:
        """What applying the finding would change now. Reads only."""
        if finding.blocked:
            return Plan(finding, SKIP, f"No automatic repair: {finding.blocked}.")
        try:
            return kind_named(finding.kind).plan(finding, self)
        except NotReady as not_ready:
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
            kind_named(finding.kind).apply(plan, self)
        except ConditionFailed as err:
            return Outcome(finding, SKIPPED, f"{err.detail} The repair was not forced; scan again.")
        except AppError as err:
            return Outcome(finding, FAILED, f"Not repaired: {err.detail}")
        return Outcome(finding, REPAIRED, plan.change, plan.action)

    # ---- what the kinds share ----

    def reread(self, finding: Finding) -> JobRecord:
        """The job, read consistently, provided it is as the scan saw it (else NotReady)."""
        record = self.gateway.get(finding.job_id)
        if record is None:
            raise NotReady(SKIP, f"Job {finding.job_id} no longer exists.")
        if ItemState.of(record.item) != finding.state:
            raise NotReady(SKIP, f"Job {finding.job_id} changed since the scan; scan again.")
        return record

    def check_grace(self, stored: StoredObject | None, now: datetime) -> None:
        """NotReady when the object is younger than the grace age: a worker may be about to write its key."""
        if stored is None:
            return  # a finding carried without its listing: the object re-read is checked
        if stored.younger_than(self.min_orphan_age, now):
            age = f"{human_age(stored.last_modified, now)} old" if stored.last_modified else "of unknown age"
            raise NotReady(
                SKIP,
                f"Kept: {age}, younger than the grace age "
                f"({human_seconds(self.min_orphan_age)}); a worker may be about to write its key.",
            )

    def write(self, plan: Plan, update: Update) -> None:
        """Apply `update` to the planned job while the item is exactly as the plan read it."""
        self.gateway.write(plan.record.job_id, update, condition=unchanged(plan.record.item))

    def discard(self, plan: Plan) -> None:
        """Take back the object uploaded for a failed write (its version only), unless the item has
        come to reference it (an update whose outcome is unknown)."""
        job_id, stored = plan.record.job_id, plan.object
        try:
            latest = self.gateway.get(job_id)
            if latest is None or latest.steps_key != stored.key:
                self.store.delete_exactly(stored)
        except AppError as err:
            logger.warning("Job %s: left %s in place (%s); the orphan check will report it", job_id, stored.key, err)
