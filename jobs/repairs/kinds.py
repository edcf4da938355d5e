"""The stale-key finding kinds, one class each: how a kind is detected in what the scan reads, what
its repair would change (a plan, from reads only), how the repair is applied (one conditional write
or one exact delete), and how it is described. A new kind is one new class in KIND_CLASSES.

What the scan reads, and so what a kind's `detect` is given:
- KEYED: each item that has an `execution_steps_s3_key` (of any type), projected to the steps pair;
- OBJECTS: each object listed under `jobs/`;
- INLINE: each whole item with inline steps and no key (read only when such a kind is asked for).
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings

from core.dynamo.expressions import Update
from core.dynamo.item_size import item_size
from core.dynamo.values import from_dynamodb
from core.errors import AppError, InvalidInput
from jobs.gateway import STEPS, STEPS_KEY, JobRecord
from jobs.steps_store import (
    StepsMissing,
    StepsUnreadable,
    StoredObject,
    encode_steps,
    foreign_key_problem,
    job_id_of_key,
    key_names,
    names_nothing,
    steps_key,
)

from .findings import (
    BOTH_PRESENT,
    DANGLING_KEY,
    FOREIGN_KEY,
    ORPHAN_OBJECT,
    OVERSIZE_INLINE,
    Finding,
    ItemState,
    human_age,
    human_seconds,
    human_size,
)
from .plans import DELETE_OBJECT, OFFLOAD, READY, REMOVE_INLINE, REMOVE_KEY, SKIP, NotReady, Plan

if TYPE_CHECKING:
    from .repairer import Repairer

KEYED = "keyed"
OBJECTS = "objects"
INLINE = "inline"


@dataclass(frozen=True)
class ScanContext:
    """What every kind's `detect` may consult besides its subject."""

    # A live scan gives the whole listing and every named key; a recorded scan, for each batch, the
    # listed objects its items name and those of its objects' keys that some job names.
    objects: dict[str, StoredObject]  # the listing of jobs/, by key
    named: frozenset[str]  # every object key that some job's key attribute names, whatever its type
    now: datetime
    min_orphan_age: int
    margin: int  # EXECUTION_STEPS_OFFLOAD_BYTES


class Kind:
    """One kind of finding. `detect` returns a Finding or None; `plan` reads only and raises
    NotReady when the repair is not safe or not needed now; `apply` makes the plan's one change."""

    name: ClassVar[str]
    label: ClassVar[str]
    rule: ClassVar[str]  # what the repair does, in one or two sentences (the admin page shows it)
    source: ClassVar[str]  # KEYED, OBJECTS or INLINE
    default: ClassVar[bool] = True  # scanned unless the kinds are chosen

    def detect(self, subject: Any, scan: ScanContext) -> Finding | None:
        raise NotImplementedError

    def plan(self, finding: Finding, repairer: "Repairer") -> Plan:
        raise NotReady(SKIP, f"No automatic repair for {self.name}.")

    def apply(self, plan: Plan, repairer: "Repairer") -> None:
        raise NotImplementedError

    def describe(self) -> dict[str, str]:
        """The kind as pages list it: its name, a label, and the rule its repair follows."""
        return {"kind": self.name, "label": self.label, "rule": self.rule}


def _keyed_common(record: JobRecord, scan: ScanContext) -> dict[str, Any]:
    key = record.item[STEPS_KEY]
    return {
        "job_id": record.job_id,
        "s3_key": key if isinstance(key, str) else None,
        "object": scan.objects.get(key) if isinstance(key, str) else None,
        "state": ItemState.of(record.item),
    }


def _own_or_empty_key(record: JobRecord) -> bool:
    return foreign_key_problem(record.job_id, record.item[STEPS_KEY]) is None


class ForeignKey(Kind):
    name = FOREIGN_KEY
    label = "Foreign key"
    rule = (
        "A key that is not the job's own (jobs/{job_id}/execution_steps.json): another job's, a path outside "
        "jobs/, or not a string. Never followed, written or deleted on the job's behalf; reported only."
    )
    source = KEYED

    def detect(self, record: JobRecord, scan: ScanContext) -> Finding | None:
        problem = foreign_key_problem(record.job_id, record.item[STEPS_KEY])
        if problem is None:
            return None
        common = _keyed_common(record, scan) | {"object": None}
        inline = " (inline steps kept as they are)" if STEPS in record.item else ""
        detail = f"{problem}: not followed{inline}"
        return Finding(kind=self.name, detail=detail, blocked=f"{problem}; repair it by hand", **common)


class BothPresent(Kind):
    name = BOTH_PRESENT
    label = "Both present"
    rule = (
        "Inline steps and the job's own key. The key wins: if its object reads, the inline steps are removed; "
        "if not, the key is removed and the inline steps kept."
    )
    source = KEYED

    def detect(self, record: JobRecord, scan: ScanContext) -> Finding | None:
        if STEPS not in record.item or not _own_or_empty_key(record):
            return None
        common = _keyed_common(record, scan)
        key, stored, steps = record.item[STEPS_KEY], common["object"], record.item[STEPS]
        count = len(steps) if isinstance(steps, list) else None
        inline = f"{count} inline steps" if count is not None else "inline steps (not a list)"
        if names_nothing(key):
            detail = f"{inline} next to an empty key: the key will be removed"
        elif stored is None:
            detail = f"{inline} next to key {key}, which has no object: the key will be removed"
        else:
            detail = f"{inline} next to key {key} ({human_size(stored.size)} object): the key wins"
        return Finding(kind=self.name, detail=detail, steps_count=count, **common)

    def plan(self, finding: Finding, repairer: "Repairer") -> Plan:
        record = repairer.reread(finding)
        key, steps = record.steps_key, record.inline_steps
        inline = f"{len(steps)} inline steps" if isinstance(steps, list) else "the inline steps"
        problem = foreign_key_problem(record.job_id, key)
        if problem:
            raise NotReady(SKIP, f"Not repaired: {problem}.")
        if names_nothing(key):
            return _ready(finding, record, REMOVE_KEY, f"REMOVE execution_steps_s3_key (empty; {inline} kept)")
        try:
            loaded = repairer.store.read(key)
        except StepsMissing:
            return _ready(
                finding, record, REMOVE_KEY, f"REMOVE execution_steps_s3_key {key} (S3 object missing; {inline} kept)"
            )
        except StepsUnreadable as err:
            change = (
                f"REMOVE execution_steps_s3_key {key} (S3 object unreadable: {err}; {inline} kept; "
                "the object is left to the orphan check)"
            )
            return _ready(finding, record, REMOVE_KEY, change)
        change = (
            f"REMOVE execution_steps ({inline}; S3 object {key}, {human_size(loaded.object.size)}, "
            f"readable: {len(loaded.steps)} steps)"
        )
        return _ready(finding, record, REMOVE_INLINE, change)

    def apply(self, plan: Plan, repairer: "Repairer") -> None:
        repairer.write(plan, Update().remove(STEPS if plan.action == REMOVE_INLINE else STEPS_KEY))


class DanglingKey(Kind):
    name = DANGLING_KEY
    label = "Dangling key"
    rule = (
        "The job's own key, whose object is missing, and no inline steps: the steps are lost. "
        "The dead key is removed and the loss recorded in the admin log."
    )
    source = KEYED

    def detect(self, record: JobRecord, scan: ScanContext) -> Finding | None:
        if STEPS in record.item or not _own_or_empty_key(record):
            return None
        common = _keyed_common(record, scan)
        key = record.item[STEPS_KEY]
        if names_nothing(key):
            return Finding(kind=self.name, detail="no inline steps and an empty key", **common)
        if common["object"] is None:
            detail = f"no object at {key} and no inline steps: the steps are lost"
            return Finding(kind=self.name, detail=detail, **common)
        return None

    def plan(self, finding: Finding, repairer: "Repairer") -> Plan:
        record = repairer.reread(finding)
        key = record.steps_key
        problem = foreign_key_problem(record.job_id, key)
        if problem:
            raise NotReady(SKIP, f"Not repaired: {problem}.")
        if names_nothing(key):
            return _ready(finding, record, REMOVE_KEY, "REMOVE execution_steps_s3_key (empty; no inline steps)")
        stored = repairer.store.head(key)
        if stored is not None:
            exists = f"The S3 object {key} exists now ({human_size(stored.size)})"
            raise NotReady(SKIP, f"{exists}: the key is not dangling.")
        change = f"REMOVE execution_steps_s3_key {key} (S3 object missing and no inline steps: the steps are lost)"
        return _ready(finding, record, REMOVE_KEY, change)

    def apply(self, plan: Plan, repairer: "Repairer") -> None:
        repairer.write(plan, Update().remove(STEPS_KEY))


class OrphanObject(Kind):
    name = ORPHAN_OBJECT
    label = "Orphan object"
    rule = (
        "A steps object (jobs/{job_id}/execution_steps.json) that no job names, with a key of any type. "
        "Once older than the grace age, that very version is deleted."
    )
    source = OBJECTS

    def detect(self, stored: StoredObject, scan: ScanContext) -> Finding | None:
        job_id = job_id_of_key(stored.key)
        if job_id is None or stored.key in scan.named:
            return None  # not a steps object (left alone), or named by a job
        modified = stored.last_modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        young = stored.younger_than(scan.min_orphan_age, scan.now)
        grace = f"; younger than the grace age ({human_seconds(scan.min_orphan_age)}): kept for now" if young else ""
        detail = f"no job references this object ({human_size(stored.size)}, last modified {modified}){grace}"
        return Finding(kind=self.name, job_id=job_id, s3_key=stored.key, detail=detail, object=stored)

    def plan(self, finding: Finding, repairer: "Repairer") -> Plan:
        key = finding.s3_key
        if job_id_of_key(key) is None or job_id_of_key(key) != finding.job_id:
            raise NotReady(SKIP, f"{key!r} is not job {finding.job_id}'s steps key: never deleted.")
        now = datetime.now(UTC)
        repairer.check_grace(finding.object, now)
        stored = repairer.store.head(key)
        if stored is None:
            raise NotReady(SKIP, f"The S3 object {key} is already gone.")
        if finding.object is not None and stored.etag != finding.object.etag:
            raise NotReady(SKIP, f"The S3 object {key} was rewritten since the scan; scan again.")
        repairer.check_grace(stored, now)
        record = repairer.gateway.get(finding.job_id)
        if record is not None and key in key_names(record.item.get(STEPS_KEY)):
            raise NotReady(SKIP, f"Job {finding.job_id} references {key} now.")
        age = human_age(stored.last_modified, now)
        version = f" version {stored.version_id}" if stored.version_id else ""
        change = f"DELETE S3 object {key}{version} ({human_size(stored.size)}, {age} old; no job references it)"
        return Plan(finding, READY, change, DELETE_OBJECT, record=record, object=stored)

    def apply(self, plan: Plan, repairer: "Repairer") -> None:
        repairer.store.delete_exactly(plan.object)  # that version only: a newer upload is untouched


class OversizeInline(Kind):
    name = OVERSIZE_INLINE
    label = "Oversize inline"
    rule = "Inline steps that take the item past the offload margin: they are moved to S3."
    source = INLINE
    # Needs every inline step list read in full (DynamoDB's size() counts a list's elements, not
    # its bytes), so the default scan leaves it out and reads only keys.
    default = False

    def detect(self, record: JobRecord, scan: ScanContext) -> Finding | None:
        size = item_size(record.item)
        if size <= scan.margin:
            return None
        steps = record.inline_steps
        count = len(steps) if isinstance(steps, list) else None
        margin = human_size(scan.margin)
        detail = f"{count} inline steps make the item {human_size(size)}, over the {margin} offload margin"
        blocked = None
        try:
            steps_key(record.job_id)
        except InvalidInput as err:  # the id cannot name an S3 object
            blocked = err.detail
            detail = f"{detail}; {blocked}"
        return Finding(
            kind=self.name,
            job_id=record.job_id,
            s3_key=None,
            detail=detail,
            state=ItemState.of(record.item),
            steps_count=count,
            item_size=size,
            blocked=blocked,
        )

    def plan(self, finding: Finding, repairer: "Repairer") -> Plan:
        record = repairer.reread(finding)
        size = item_size(record.item)
        margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
        if size <= margin:
            raise NotReady(SKIP, f"The item is {human_size(size)} now, within the offload margin.")
        steps = record.inline_steps
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            raise NotReady(SKIP, "The inline steps are not a list of step objects: repair them by hand.")
        target = steps_key(record.job_id)
        try:
            body = encode_steps(from_dynamodb(steps))
        except (TypeError, ValueError, InvalidInput) as err:
            raise NotReady(SKIP, f"The inline steps cannot be written as JSON ({err}): repair them by hand.")
        existing = repairer.store.head(target)
        if existing is not None:
            raise NotReady(
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
        return _ready(finding, record, OFFLOAD, change)

    def apply(self, plan: Plan, repairer: "Repairer") -> None:
        """Upload without ever replacing an object (S3 If-None-Match), then point the item at it and
        drop the inline steps in one update conditional on the item as read; a failed update takes
        back exactly the version uploaded."""
        record = plan.record
        stored = repairer.store.save(record.job_id, from_dynamodb(record.inline_steps), if_absent=True)
        try:
            repairer.write(plan, Update().set(STEPS_KEY, stored.key).remove(STEPS))
        except AppError:
            repairer.discard(replace(plan, object=stored))
            raise


def _ready(finding: Finding, record: JobRecord, action: str, change: str) -> Plan:
    return Plan(finding, READY, change, action, record=record)


# The registry, in the order findings are listed.
KIND_CLASSES: tuple[type[Kind], ...] = (BothPresent, DanglingKey, ForeignKey, OrphanObject, OversizeInline)
KINDS_BY_NAME: dict[str, Kind] = {kind.name: kind() for kind in KIND_CLASSES}
KINDS = tuple(KINDS_BY_NAME)
DEFAULT_KINDS = tuple(name for name, kind in KINDS_BY_NAME.items() if kind.default)
KIND_LABELS = {name: kind.describe()["label"] for name, kind in KINDS_BY_NAME.items()}
KIND_RULES = {name: kind.describe()["rule"] for name, kind in KINDS_BY_NAME.items()}


def kind_named(name: str) -> Kind:
    return KINDS_BY_NAME[name]
