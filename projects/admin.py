import json
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin

from core.admin import Column, GatewayAdmin, ListFilter
from core.admin_forms import ChangeFormAdmin
from core.dynamo.paging import Page
from core.dynamo.values import from_dynamodb

from . import services
from .forms import ProjectProgressForm, progress_values
from .gateway import KEY, SNAPSHOT, ProjectRecord, ProjectsGateway, project_not_found
from .models import Project
from .snapshot import MAP, STRING
from .stage_admin import StageChangeAdmin
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


@admin.register(Project)
class ProjectAdmin(StageChangeAdmin, ChangeFormAdmin, GatewayAdmin):
    change_form_class = ProjectProgressForm
    detail_template = "admin/projects/project/detail.html"
    columns = (
        Column("Project ID", lambda record: record.project_id),
        Column("Status", lambda record: record.text("status")),
        Column("Current stage", lambda record: record.text("current_stage")),
        Column("Progress", progress_text),
        Column("Updated", lambda record: record.text("updated_at")),
    )
    list_filters = (ListFilter("status", "status", tuple((status, status) for status in PROJECT_STATUSES)),)
    search_help_text = "Exact project ID, e.g. proj_b0520328c1e1."

    def fetch_page(self, request, *, filters, query, cursor, limit) -> Page:
        gateway = ProjectsGateway()
        status = filters.get("status")
        if query:
            record = gateway.get(query)
            found = record is not None and (status is None or record.item.get("status") == status)
            return Page(items=[record] if found else [], next_cursor=None)
        return gateway.page(status=status, limit=limit, cursor=cursor)

    def fetch_record(self, request, object_id):
        return ProjectsGateway().get(object_id)

    def detail_context(self, request, record: ProjectRecord) -> dict:
        reading = record.snapshot
        timeline = None
        if reading.snapshot is not None and reading.snapshot.stages:
            timeline = build_timeline(reading.snapshot, now=datetime.now(UTC))
        others = sorted(name for name in record.item if name not in {KEY, SNAPSHOT})
        return {
            "attributes": [(name, as_text(record.item[name])) for name in (KEY, *others)],
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
            **self.change_form_context(request, record),
        }

    # ---- change forms: the progress attributes here, one stage on its own page ----

    def form_values(self, record: ProjectRecord) -> dict[str, str]:
        return progress_values(record.item)

    def write_change(self, object_id: str, record: ProjectRecord, form: ProjectProgressForm) -> ProjectRecord:
        return services.project_update(project_id=object_id, changes=form.changes(), read=record.item)

    def current_record(self, project_id: str) -> ProjectRecord:
        record = ProjectsGateway().get(project_id, consistent=True)
        if record is None:
            raise project_not_found(project_id)
        return record
