"""Read-modify-write without lost updates: the write is conditional on what was read, and the
whole read-modify-write is retried a bounded number of times when another writer got there first."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from core import metrics
from core.errors import ConditionFailed, Conflict

T = TypeVar("T")

DEFAULT_ATTEMPTS = 8
MAX_WAIT_SECONDS = 0.5  # caps each wait, so that callers may allow many attempts


def retry_on_conflict(attempt: Callable[[], T], *, what: str, attempts: int = DEFAULT_ATTEMPTS) -> T:
    """Call `attempt` (which reads, then writes conditionally) until its write is accepted.

    Raises Conflict (409) when other writers kept changing the item `attempts` times in a row.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except ConditionFailed:
            if number == attempts:
                metrics.CONDITIONAL_WRITE_CONFLICTS.labels("gave_up").inc()
                break
            metrics.CONDITIONAL_WRITE_CONFLICTS.labels("retried").inc()
            time.sleep(random.uniform(0, min(0.005 * 2**number, MAX_WAIT_SECONDS)))  # capped, jittered backoff
    raise Conflict(f"{what} was changed by other writers {attempts} times in a row; try again.")
