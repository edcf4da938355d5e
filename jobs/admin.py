from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse

from core.admin import Column, GatewayAdmin, ListFilter, detail_page
from core.display import CELL_MAX_CHARS, cell_text, displayed
from core.errors import NotFound
from core.time_formats import format_datetime

from . import presentation
from .gateway import JobGateway, JobRecord
from .models import Job
from .repairs import admin as repairs_admin  # noqa: F401  (registers the Stale key repairs page)
from .services import job_execution_steps, job_get, job_stale_key

STATUS_CHOICES = (
    ("pending", "Pending"),
    ("running", "Running"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
)
LOCATION_LABELS = {"inline": "Inline", "s3": "S3", "none": "None"}
STEPS_PER_PAGE = 100
FAILED_ONLY = "failed"  # ?steps=failed


def step_count(record: JobRecord) -> str:
    """Known for inline steps only: counting offloaded ones would cost an S3 read per row."""
    steps = record.inline_steps if record.steps_location == "inline" else None
    return str(len(steps)) if isinstance(steps, list) else "—"


@admin.register(Job)
class JobAdmin(GatewayAdmin):
    detail_template = "admin/jobs/job/detail.html"
    columns = (
        Column("Job id", lambda record: record.job_id),
        Column("Status", lambda record: cell_text(record.item.get("status"))),
        Column("Steps stored", lambda record: LOCATION_LABELS[record.steps_location]),
        Column("Step count", step_count),
        Column("Updated (UTC)", lambda record: format_datetime(record.item.get("updated_at"), limit=CELL_MAX_CHARS)),
    )
    list_filters = (
        ListFilter("status", "status", STATUS_CHOICES, value=lambda record: record.status),
        ListFilter(
            "location", "steps stored", tuple(LOCATION_LABELS.items()), value=lambda record: record.steps_location
        ),
    )
    search_help_text = "A whole job id (one lookup), or part of one (case-sensitive); combines with the filters."

    def fetch_page(self, request, *, filters, query, cursor, limit):
        return JobGateway().list_page(
            status=filters.get("status"),
            location=filters.get("location"),
            id_contains=query or None,
            limit=limit,
            cursor=cursor,
        )

    def fetch_record(self, request, object_id):
        try:
            return job_get(job_id=object_id)
        except NotFound:
            return None

    def detail_context(self, request, record):
        steps = job_execution_steps(record=record)
        stale = job_stale_key(record=record, steps=steps)
        shown = displayed(steps.steps or [], "execution_steps")
        failed_only = request.GET.get("steps") == FAILED_ONLY
        listed = [step for step in shown.value if presentation.is_failed(step)] if failed_only else shown.value
        page = detail_page(listed, request.GET, "steps_page", STEPS_PER_PAGE)
        return {
            "attributes": presentation.attribute_rows(record),
            "steps": steps,
            "steps_display_error": shown.error,
            "location_label": LOCATION_LABELS[steps.location],
            "step_count": len(shown.value),
            "failed_count": sum(map(presentation.is_failed, shown.value)),
            "failed_only": failed_only,
            "step_page": page,
            "step_rows": presentation.step_rows(
                page.items, first=page.first, longest=presentation.longest_duration(listed)
            ),
            "total_duration": presentation.total_duration(shown.value),
            "stale_key": stale,
            "repairs_url": self.repairs_url(record) if stale else None,
            # The API cannot route an id holding "/" (such ids are readable here, never written).
            "api_url": reverse("job-detail", args=[record.job_id]) if "/" not in record.job_id else None,
        }

    def repairs_url(self, record: JobRecord) -> str:
        changelist = reverse("admin:jobs_stalekeyrepair_changelist", current_app=self.admin_site.name)
        return f"{changelist}?{urlencode({'q': record.job_id})}"
