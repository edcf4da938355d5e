"""The admin page "Stale key repairs": the latest scan's findings, scans started and followed,
preview, confirmed repairs. Viewing reads the project's database only: no AWS request."""

import re
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from artifacts.admin import breakable_url
from core.admin import GatewayAdmin, ListFilter

from ..models import Job, Scan, StaleKeyRepair
from .findings import DEFAULT_MIN_ORPHAN_AGE, ORPHAN_OBJECT, Finding, human_age, human_seconds, human_size
from .kinds import KIND_LABELS, KIND_RULES, KINDS
from .permissions import can_repair, can_view_findings
from .repairer import READY, REPAIRED, SKIPPED
from .scans import scan_findings, scan_latest_done, scan_start
from .serializers import scan_document
from .services import LOG_PREFIX, stale_key_preview, stale_key_repair
from .tokens import finding_from_token, finding_token, plans_from_token, plans_token

# The admin's entries are the project's data (CONTRACT section 5): the task engine's own results
# page is not one of them; scans are followed on this page.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(StaleKeyRepair)
class StaleKeyRepairAdmin(GatewayAdmin):
    """The findings of the latest completed scan, grouped by kind (`?kind=`, `?q=<job id>`), the
    scan in progress (polled as JSON) and past scans; "Scan now" starts one on the workers. Repairs
    go through a dry-run preview on a confirmation page (POST + CSRF, jobs change permission) that
    re-reads each job, and each applied repair is written to the admin log against its job."""

    change_list_template = "admin/jobs/repairs/findings.html"
    confirm_template = "admin/jobs/repairs/confirm.html"
    search_help_text = "A job id or an S3 key, or part of one."
    list_filters = (ListFilter("kind", "kind", tuple((kind, KIND_LABELS[kind]) for kind in KINDS)),)
    list_per_page = 200  # findings shown per kind; the scan itself always covers the whole table
    max_batch = 100  # repairs per confirmation: larger runs belong to `manage.py repair_stale_keys`
    history_size = 10  # past scans listed

    def has_view_permission(self, request, obj=None):
        return can_view_findings(request.user)

    def has_change_permission(self, request, obj=None):
        return can_repair(request.user)

    def extra_urls(self):
        return [
            path("repair/", self.wrap(self.repair_view), name="jobs_stalekeyrepair_repair"),
            path("scan/", self.wrap(self.scan_view), name="jobs_stalekeyrepair_scan"),
            path("scans/<int:scan_id>/", self.wrap(self.scan_status_view), name="jobs_stalekeyrepair_scan_status"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        kind, query = self._filters(request.GET)
        scan = scan_latest_done()
        findings = scan_findings(scan, kinds=(kind,) if kind else None, query=query) if scan else []
        may_repair = self.has_change_permission(request)
        checked = scan.kinds if scan else []
        shown = [k for k in KINDS if k in checked and (not kind or k == kind)]
        repaired = self._repaired_since(scan)
        groups = [self._group(shown_kind, findings, may_repair, repaired) for shown_kind in shown]
        in_progress = Scan.objects.filter(status__in=(Scan.QUEUED, Scan.RUNNING)).first()
        selected = {"kind": kind} if kind else {}
        filters = self.filter_links(selected, {**selected, **({"q": query} if query else {})})
        counts = {group["kind"]: group["count"] for group in groups}
        for link in filters[0]["links"]:
            if link.get("value") in counts:
                link["label"] += f" ({counts[link['value']]})"
        context = {
            **self.base_context(request, self.opts.verbose_name_plural.capitalize()),
            "scan": scan,
            "scan_seconds": scan and scan.seconds,
            "in_progress": in_progress,
            "in_progress_url": in_progress and self.url_for("scan_status", in_progress.pk),
            "scan_url": self.url_for("scan"),
            "scans": Scan.objects.select_related("started_by")[: self.history_size],
            "grace_age": human_seconds(DEFAULT_MIN_ORPHAN_AGE),
            "groups": groups,
            "kind": kind,
            "filters": filters,
            "has_search": True,
            "search_query": query,
            "search_help_text": self.search_help_text,
            "is_first_page": True,  # one page: the scan covers the whole table
            "may_repair": may_repair,
            "any_repairable": any(group["repairable"] for group in groups),
            "repair_url": self.url_for("repair"),
            "recent_repairs": self._recent_repairs(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)

    def scan_view(self, request):
        """POST "Scan now": a background scan of every kind, then back to the page, which follows it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        scan = scan_start(origin="admin", user=request.user)
        messages.info(request, f"Scan {scan.pk} started: its progress shows below; the workers run it.")
        return HttpResponseRedirect(self.url_for("changelist"))

    def scan_status_view(self, request, scan_id: int):
        """A scan's progress as JSON, polled by the page while the scan runs."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        scan = Scan.objects.filter(pk=scan_id).first()
        if scan is None:
            return JsonResponse({"detail": f"No scan {scan_id}.", "code": "not_found"}, status=404)
        return JsonResponse(scan_document(scan))

    def repair_view(self, request):
        """POST a selection (or `scope=kind:<kind>`): the confirmation page with the exact change
        each repair will make. POST `confirm=yes`: apply what was confirmed, then redirect."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        kind, query = self._filters(request.POST)
        params = {name: value for name, value in (("kind", kind), ("q", query)) if value}
        back = self.url_for("changelist") + (f"?{urlencode(params)}" if params else "")
        if request.POST.get("confirm") == "yes":
            self._apply(request, plans_from_token(request.POST.get("plans", "")))
            return HttpResponseRedirect(back)
        findings = self._chosen(request, query)
        if not findings:
            messages.warning(request, "Select the findings to repair first.")
            return HttpResponseRedirect(back)
        if len(findings) > self.max_batch:
            messages.info(
                request,
                f"Only the first {self.max_batch} of {len(findings)} are shown; repair the rest afterwards, "
                "or run `manage.py repair_stale_keys --apply`.",
            )
            findings = findings[: self.max_batch]
        plans = stale_key_preview(findings=findings)
        ready = [plan for plan in plans if plan.status == READY]
        context = {
            **self.base_context(request, "Repair stale keys?"),
            "plans": plans,
            "ready": len(ready),
            "plans_token": plans_token([(plan.finding, plan.action) for plan in ready]) if ready else "",
            "kind": kind,
            "search_query": query,
            "back_url": back,
            "changelist_url": self.url_for("changelist"),
        }
        return TemplateResponse(request, self.confirm_template, context)

    # ---- helpers ----

    @staticmethod
    def _filters(params) -> tuple[str | None, str]:
        kind = params.get("kind")
        return (kind if kind in KINDS else None), params.get("q", "").strip()

    def _chosen(self, request, query: str) -> list[Finding]:
        scope = request.POST.get("scope", "")
        if scope == "selected":
            return [finding_from_token(token) for token in request.POST.getlist("finding")]
        kind = scope.removeprefix("kind:")
        scan = scan_latest_done()
        if kind not in KINDS or scan is None:
            return []
        # "All of a kind" as the latest scan found them; each repair re-reads its job before acting.
        return [finding for finding in scan_findings(scan, kinds=(kind,), query=query) if _repairable(finding)]

    def _apply(self, request, confirmed: list[tuple[Finding, str]]) -> None:
        outcomes = [
            stale_key_repair(finding=finding, user=request.user, confirmed_action=action)
            for finding, action in confirmed
        ]
        repaired = [outcome.finding for outcome in outcomes if outcome.status == REPAIRED]
        if repaired:
            names = ", ".join(f"{finding.job_id} ({finding.kind})" for finding in repaired)
            messages.success(request, f"Repaired {len(repaired)}: {names}. Each job's history records what changed.")
        for outcome in outcomes:
            finding = outcome.finding
            if outcome.status != REPAIRED:
                level = messages.WARNING if outcome.status == SKIPPED else messages.ERROR
                text = f"{outcome.status.capitalize()} {finding.job_id} ({finding.kind}): {outcome.message}"
                messages.add_message(request, level, text)

    def _group(self, kind: str, findings: list[Finding], may_repair: bool, repaired: set[tuple[str, str]]) -> dict:
        of_kind = [finding for finding in findings if finding.kind == kind]
        offered = [finding for finding in of_kind if _repairable(finding) and (finding.job_id, kind) not in repaired]
        return {
            "kind": kind,
            "label": KIND_LABELS.get(kind, kind),
            "rule": KIND_RULES.get(kind, ""),
            "count": len(of_kind),
            "repairable": len(offered),
            "hidden": max(len(of_kind) - self.list_per_page, 0),
            "rows": [
                {
                    "finding": finding,
                    "token": finding_token(finding) if may_repair and finding in offered else None,
                    "repaired": (finding.job_id, kind) in repaired,
                    "waiting_until": _grace_ends(finding),
                    # An orphan object has no job that references it: often no job at all.
                    "job_url": None
                    if kind == ORPHAN_OBJECT
                    else reverse("admin:jobs_job_change", args=[quote(finding.job_id)]),
                    "object": _describe_object(finding),
                    # Long keys and ids wrap after a "/" rather than inside a word.
                    "key": breakable_url(finding.s3_key) if finding.s3_key else None,
                    "detail": breakable_url(finding.detail),
                }
                for finding in of_kind[: self.list_per_page]
            ],
        }

    @staticmethod
    def _repaired_since(scan: Scan | None) -> set[tuple[str, str]]:
        """(job id, kind) of the repairs logged since the scan: its findings stay as recorded, but
        those are no longer offered."""
        if scan is None:
            return set()
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Job),
            change_message__startswith=LOG_PREFIX,
            action_time__gte=scan.finished_at,
        ).values_list("object_id", "change_message")
        pattern = re.compile(rf"{re.escape(LOG_PREFIX)} \((\w+)\)")
        return {(job_id, match.group(1)) for job_id, message in entries if (match := pattern.match(message))}

    @staticmethod
    def _recent_repairs():
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Job), change_message__startswith=LOG_PREFIX
        ).select_related("user")[:10]


def _grace_ends(finding: Finding):
    """When a young orphan may be deleted (the repair refuses it until then), else None."""
    if finding.kind != ORPHAN_OBJECT or finding.object is None or finding.object.last_modified is None:
        return None
    ends = finding.object.last_modified + timedelta(seconds=DEFAULT_MIN_ORPHAN_AGE)
    return ends if ends > timezone.now() else None


def _repairable(finding: Finding) -> bool:
    return not finding.blocked and _grace_ends(finding) is None


def _describe_object(finding: Finding) -> str:
    if finding.item_size is not None:
        return f"item {human_size(finding.item_size)}"
    if finding.object is None:
        return "—" if finding.blocked or finding.s3_key is None else "missing"
    return f"{human_size(finding.object.size)}, {human_age(finding.object.last_modified, timezone.now())} old"
