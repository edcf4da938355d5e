"""Stale-key operations shared by the admin page, the API and `manage.py repair_stale_keys`
(with the scanner's `stale_keys_scan`)."""

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from core import metrics
from core.errors import InvalidInput
from jobs.models import Job

from .findings import DEFAULT_MIN_ORPHAN_AGE, Finding
from .repairer import REPAIRED, Outcome, Plan, Repairer

# Commands have no request user: repairs they apply are logged as this user (created inactive,
# without a usable password) unless `--user` names another.
SYSTEM_USERNAME = "repair_stale_keys"
LOG_PREFIX = "Stale key repair"


def stale_keys_document(*, findings: list[Finding], repaired: int) -> dict[str, Any]:
    """The JSON document of `repair_stale_keys --json` and `GET /api/repairs/`."""
    return {"findings": [finding.as_json() for finding in findings], "repaired": repaired}


def stale_key_preview(*, findings: list[Finding], min_orphan_age: int = DEFAULT_MIN_ORPHAN_AGE) -> list[Plan]:
    """The exact change each repair would make now (a dry run: reads only)."""
    repairer = Repairer(min_orphan_age=min_orphan_age)
    return [repairer.plan(finding) for finding in findings]


def stale_key_repair(
    *,
    finding: Finding,
    user: AbstractBaseUser,
    confirmed_action: str | None = None,
    min_orphan_age: int = DEFAULT_MIN_ORPHAN_AGE,
    repairer: Repairer | None = None,
) -> Outcome:
    """Apply one repair; when applied, record it in the admin log against the job, by `user`."""
    outcome = (repairer or Repairer(min_orphan_age=min_orphan_age)).apply(finding, confirmed_action=confirmed_action)
    if outcome.status == REPAIRED:
        metrics.REPAIRS_APPLIED.labels(finding.kind).inc()
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[Job(pk=finding.job_id)],
            action_flag=CHANGE,
            change_message=f"{LOG_PREFIX} ({finding.kind}): {outcome.message}.",
            single_object=True,
        )
    return outcome


def stale_key_repair_user(*, username: str | None = None) -> AbstractBaseUser:
    """The user a command's repairs are logged as: `username`, or the dedicated system user."""
    users = get_user_model()
    if username:
        try:
            return users.objects.get(**{users.USERNAME_FIELD: username})
        except users.DoesNotExist:
            raise InvalidInput(f"No user '{username}'.")
    user, created = users.objects.get_or_create(
        **{users.USERNAME_FIELD: SYSTEM_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
