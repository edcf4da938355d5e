"""The admin page "Stale key repairs": findings, preview, confirmed repairs."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin import GatewayAdmin, ListFilter

from ..models import Job, StaleKeyRepair
from .findings import OVERSIZE_INLINE, Finding, human_age, human_size
from .kinds import DEFAULT_KINDS, KIND_LABELS, KIND_RULES, KINDS
from .permissions import can_repair, can_view_findings
from .repairer import READY, REPAIRED, SKIPPED
from .scanner import stale_keys_scan
from .services import LOG_PREFIX, stale_key_preview, stale_key_repair
from .tokens import finding_from_token, finding_token, plans_from_token, plans_token


@admin.register(StaleKeyRepair)
class StaleKeyRepairAdmin(GatewayAdmin):
    """The findings of the stale-key scan, grouped by kind (`?kind=`, `?q=<job id>`); repairs go
    through a dry-run preview on a confirmation page (POST + CSRF, jobs change permission), and
    each applied repair is written to the admin log against its job."""

    change_list_template = "admin/jobs/repairs/findings.html"
    confirm_template = "admin/jobs/repairs/confirm.html"
    search_help_text = "A job id or an S3 key, or part of one."
    list_filters = (ListFilter("kind", "kind", tuple((kind, KIND_LABELS[kind]) for kind in KINDS)),)
    list_per_page = 200  # findings shown per kind; the scan itself always covers the whole table
    max_batch = 100  # repairs per confirmation: larger runs belong to `manage.py repair_stale_keys`

    def has_view_permission(self, request, obj=None):
        return can_view_findings(request.user)

    def has_change_permission(self, request, obj=None):
        return can_repair(request.user)

    def extra_urls(self):
        return [path("repair/", self.wrap(self.repair_view), name="jobs_stalekeyrepair_repair")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        kind, query = self._filters(request.GET)
        # An exact job id (the jobs page links here with `?q=<job_id>`) also sizes that one job.
        report = stale_keys_scan(kinds=(kind,) if kind else DEFAULT_KINDS, job_id=None if kind else query)
        findings = [finding for finding in report.findings if _matches(finding, query)]
        may_repair = self.has_change_permission(request)
        shown = [k for k in KINDS if k in report.kinds or any(finding.kind == k for finding in findings)]
        groups = [self._group(shown_kind, findings, may_repair) for shown_kind in shown]
        selected = {"kind": kind} if kind else {}
        filters = self.filter_links(selected, {**selected, **({"q": query} if query else {})})
        counts = {group["kind"]: group["count"] for group in groups}
        for link in filters[0]["links"]:
            if link.get("value") in counts:
                link["label"] += f" ({counts[link['value']]})"
        context = {
            **self.base_context(request, self.opts.verbose_name_plural.capitalize()),
            "report": report,
            "groups": groups,
            "kind": kind,
            "filters": filters,
            "has_search": True,
            "search_query": query,
            "search_help_text": self.search_help_text,
            "is_first_page": True,  # one page: the scan covers the whole table
            "may_repair": may_repair,
            "any_repairable": any(group["repairable"] for group in groups),
            "oversize_checked": OVERSIZE_INLINE in report.kinds,
            "oversize_url": "?" + urlencode({"kind": OVERSIZE_INLINE, **({"q": query} if query else {})}),
            "repair_url": self.url_for("repair"),
            "recent_repairs": self._recent_repairs(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)

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
        if kind not in KINDS:
            return []
        report = stale_keys_scan(kinds=(kind,))  # "all of a kind": as they are now
        return [finding for finding in report.findings if not finding.blocked and _matches(finding, query)]

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

    def _group(self, kind: str, findings: list[Finding], may_repair: bool) -> dict:
        of_kind = [finding for finding in findings if finding.kind == kind]
        return {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "rule": KIND_RULES[kind],
            "count": len(of_kind),
            "repairable": sum(1 for finding in of_kind if not finding.blocked),
            "hidden": max(len(of_kind) - self.list_per_page, 0),
            "rows": [
                {
                    "finding": finding,
                    "token": finding_token(finding) if may_repair and not finding.blocked else None,
                    "job_url": reverse("admin:jobs_job_change", args=[quote(finding.job_id)]),
                    "object": _describe_object(finding),
                }
                for finding in of_kind[: self.list_per_page]
            ],
        }

    @staticmethod
    def _recent_repairs():
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Job), change_message__startswith=LOG_PREFIX
        ).select_related("user")[:10]


def _matches(finding: Finding, query: str) -> bool:
    return not query or query in finding.job_id or query in (finding.s3_key or "")


def _describe_object(finding: Finding) -> str:
    if finding.item_size is not None:
        return f"item {human_size(finding.item_size)}"
    if finding.object is None:
        return "—" if finding.blocked or finding.s3_key is None else "missing"
    return f"{human_size(finding.object.size)}, {human_age(finding.object.last_modified, timezone.now())} old"
