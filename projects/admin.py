import dataclasses
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin

from core.admin import Column, GatewayAdmin, ListFilter, detail_page
from core.display import CELL_MAX_CHARS, cell_text, displayed, displayed_text, shortened
from core.dynamo.paging import Page
from core.stored_json import write_json
from core.time_formats import format_datetime, is_timestamp

from .gateway import KEY, SNAPSHOT, ProjectRecord, ProjectsGateway
from .models import Project
from .snapshot import MAP, STRING, read_snapshot
from .timeline import build_timeline

PROJECT_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
STORAGE_FORMS = {STRING: "JSON string", MAP: "DynamoDB map"}
STAGES_PER_PAGE = 50
LOGS_PER_PAGE = 100


def progress_text(record: ProjectRecord) -> str:
    reading = record.snapshot
    if reading.error is not None:
        return "malformed snapshot"
    if reading.snapshot is None:
        return "—"
    completed, total = reading.snapshot.progress
    return f"{completed}/{total}"


def attribute_text(name: str, value):
    """Timestamps (`*_at` strings) in the admin's date format; anything else as text."""
    return format_datetime(value) if is_timestamp(name, value) else displayed_text(value)


@admin.register(Project)
class ProjectAdmin(GatewayAdmin):
    detail_template = "admin/projects/project/detail.html"
    columns = (
        Column("Project ID", lambda record: record.project_id),
        Column("Status", lambda record: cell_text(record.item.get("status"))),
        Column("Current stage", lambda record: cell_text(record.item.get("current_stage"))),
        Column("Progress", progress_text),
        Column("Updated (UTC)", lambda record: format_datetime(record.item.get("updated_at"), limit=CELL_MAX_CHARS)),
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
        shown_item = displayed(record.item)
        others = sorted(name for name in shown_item.value if name not in {KEY, SNAPSHOT})
        raw_json, raw_cut = shortened(write_json(shown_item.value, indent=2, sort_keys=True))
        stages = stages_display(reading.document, request.GET)
        return {
            "attributes": [(name, attribute_text(name, shown_item.value[name])) for name in (KEY, *others)],
            "snapshot": reading,
            "storage_form": STORAGE_FORMS.get(reading.form, ""),
            "stored_snapshot": "" if reading.error is None else displayed_text(reading.stored),
            "progress": progress_text(record),
            "display_error": shown_item.error,
            **stages,
            "raw_json": raw_json,
            "raw_json_cut": raw_cut,
        }


def stages_display(document: dict | None, query) -> dict:
    """One page of the snapshot's stages (the timeline and a panel per stage, each with one page of
    its logs), read from at most PROJECT_STAGES_MAX_COUNT stages of the snapshot."""
    stages = document.get("stages") if isinstance(document, dict) else None
    if not isinstance(stages, list) or not stages:
        return {"timeline": None, "stages": []}
    shown = displayed({**document, "stages": stages[: settings.PROJECT_STAGES_MAX_COUNT]}, SNAPSHOT)
    snapshot = read_snapshot(shown.value).snapshot  # the whole snapshot was valid, so its first stages are
    page = detail_page(
        snapshot.stages, query, "stages_page", STAGES_PER_PAGE, keep={"log_stage": None, "log_page": None}
    )
    timeline = build_timeline(dataclasses.replace(snapshot, stages=tuple(page.items)), now=datetime.now(UTC))
    panels = []
    for row in timeline.rows:
        index = str(row.stage.index)
        logs = detail_page(
            row.stage.logs,
            query if query.get("log_stage") == index else {},
            "log_page",
            LOGS_PER_PAGE,
            keep={"stages_page": page.number, "log_stage": index},
        )
        panels.append(
            {
                "row": row,
                "error": "" if row.stage.error is None else displayed_text(row.stage.error),
                "logs": [displayed_text(entry) for entry in logs.items],
                "log_page": logs,
            }
        )
    return {
        "timeline": timeline,
        "stages": panels,
        "stage_page": page,
        "stage_count": len(stages),
        "stages_read": len(snapshot.stages),
        "snapshot_display_error": shown.error,
    }
