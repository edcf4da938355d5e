import json
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin

from core.admin import Column, GatewayAdmin, ListFilter
from core.dynamo.paging import Page
from core.dynamo.values import from_dynamodb
from core.time_formats import format_datetime, is_timestamp

from .gateway import KEY, SNAPSHOT, ProjectRecord, ProjectsGateway
from .models import Project
from .snapshot import MAP, STRING
from .timeline import build_timeline

PROJECT_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
STORAGE_FORMS = {STRING: "JSON string", MAP: "DynamoDB map"}


def progress_text(record: ProjectRecord) -> str:
    reading = record.snapshot
    if reading.error is not None:
        return "malformed snapshot"
    if reading.snapshot is None:
        return "—"
    completed, total = reading.snapshot.progress
    return f"{completed}/{total}"


def as_text(value: Any) -> str:
    """A stored value for display: strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(from_dynamodb(value), ensure_ascii=False, default=repr)


def attribute_text(name: str, value: Any):
    return format_datetime(value) if is_timestamp(name, value) else as_text(value)


@admin.register(Project)
class ProjectAdmin(GatewayAdmin):
    detail_template = "admin/projects/project/detail.html"
    columns = (
        Column("Project ID", lambda record: record.project_id),
        Column("Status", lambda record: record.text("status")),
        Column("Current stage", lambda record: record.text("current_stage")),
        Column("Progress", progress_text),
        Column("Updated (UTC)", lambda record: format_datetime(record.item.get("updated_at"))),
    )
    list_filters = (
        ListFilter(
            "status",
            "status",
            tuple((status, status) for status in PROJECT_STATUSES),
            value=lambda record: record.item.get("status"),
        ),
    )
    search_help_text = (
        "A whole project ID (one lookup, e.g. proj_b0520328c1e1), or part of one (case-sensitive); "
        "combines with the filter."
    )

    def fetch_page(self, request, *, filters, query, cursor, limit) -> Page:
        return ProjectsGateway().page(
            status=filters.get("status"), id_contains=query or None, limit=limit, cursor=cursor
        )

    def fetch_record(self, request, object_id):
        return ProjectsGateway().get(object_id)

    def detail_context(self, request, record: ProjectRecord) -> dict:
        reading = record.snapshot
        timeline = None
        if reading.snapshot is not None and reading.snapshot.stages:
            timeline = build_timeline(reading.snapshot, now=datetime.now(UTC))
        others = sorted(name for name in record.item if name not in {KEY, SNAPSHOT})
        return {
            "attributes": [(name, attribute_text(name, record.item[name])) for name in (KEY, *others)],
            "snapshot": reading,
            "storage_form": STORAGE_FORMS.get(reading.form, ""),
            "stored_snapshot": "" if reading.error is None else as_text(reading.stored),
            "progress": progress_text(record),
            "timeline": timeline,
            "stages": [
                {
                    "row": row,
                    "error": "" if row.stage.error is None else as_text(row.stage.error),
                    "logs": [as_text(entry) for entry in row.stage.logs],
                }
                for row in (timeline.rows if timeline else ())
            ],
            "raw_json": json.dumps(
                from_dynamodb(record.item), indent=2, ensure_ascii=False, sort_keys=True, default=repr
            ),
        }
