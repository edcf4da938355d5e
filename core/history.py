"""One place that records writes in Django's admin log, so that an object's History answers who
changed it, when, and which fields, whether the write came from the admin or the API."""

from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models


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
    """
    if not message:
        change = {"fields": list(fields)}
        if part is not None:
            change = {"name": part[0], "object": part[1], **change}
        message = [{"added": {}}] if action == ADDITION else [{"changed": change}]
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[model(pk=object_id)],
        action_flag=action,
        change_message=message,
        single_object=True,
    )


__all__ = ["ADDITION", "CHANGE", "DELETION", "record_write"]
