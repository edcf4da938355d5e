"""One place that records writes in Django's admin log, so that an object's History answers who
changed it, when, and which fields, whether the write came from the admin or the API."""

import logging
from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import DatabaseError, models

logger = logging.getLogger(__name__)


def record_write(
    *,
    user,
    model: type[models.Model],
    object_id: str,
    fields: Iterable[str] = (),
    part: tuple[str, str] | None = None,
    action: int = CHANGE,
    message: str = "",
) -> None:
    """Log one write by `user` to the item `object_id` of `model`'s table.

    `fields`: the attributes written, in Django's structured change message, which History
    renders as "Changed status and progress."; `part` (kind, name) names the part of the item
    they belong to ("Changed status for stage “build”."). `message` replaces the structured one.

    The write it records is already applied in DynamoDB: a database that cannot take the entry
    (locked, unreachable) is logged as an error, never turned into a failed request, which a
    client would retry and so apply twice (a log line appended twice).
    """
    if not message:
        change = {"fields": list(fields)}
        if part is not None:
            change = {"name": part[0], "object": part[1], **change}
        message = [{"added": {}}] if action == ADDITION else [{"changed": change}]
    try:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[model(pk=object_id)],
            action_flag=action,
            change_message=message,
            single_object=True,
        )
    except DatabaseError:
        logger.exception(
            "The write to %s %r by %s is applied but missing from its History", model.__name__, object_id, user
        )


__all__ = ["ADDITION", "CHANGE", "DELETION", "record_write"]
