"""What a repair would do (a plan, from reads only) and what it did (an outcome)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobs.gateway import JobRecord
from jobs.steps_store import StoredObject

if TYPE_CHECKING:
    from .findings import Finding

# Plan statuses
READY = "ready"
SKIP = "skip"  # nothing to do now, or not safe to do: reported, not an error
ERROR = "error"  # AWS could not be asked (403, throttling, unreachable): reported as a failure
# Outcome statuses
REPAIRED = "repaired"
SKIPPED = "skipped"
FAILED = "failed"
# What a repair does.
REMOVE_INLINE = "remove_inline"
REMOVE_KEY = "remove_key"
DELETE_OBJECT = "delete_object"
OFFLOAD = "offload"


@dataclass(frozen=True)
class Plan:
    finding: "Finding"
    status: str
    change: str  # the exact change ("REMOVE execution_steps (12 steps inline; ...)"), or why none
    action: str | None = None
    record: JobRecord | None = None  # the job as re-read
    object: StoredObject | None = None  # the object as re-read


@dataclass(frozen=True)
class Outcome:
    finding: "Finding"
    status: str
    message: str
    action: str | None = None


class NotReady(Exception):
    """A plan stops here: `status` SKIP (not safe or not needed now) or ERROR."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
