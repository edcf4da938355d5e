from urllib.parse import urlencode, urlsplit

from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import Column, GatewayAdmin, ListFilter
from core.display import cell_text, displayed
from core.dynamo.paging import Page
from core.errors import NotFound
from core.stored_json import write_json
from projects.models import Project

from .gateway import ArtifactGateway
from .models import Artifact
from .rating import is_score, sub_scores
from .records import ARTIFACT_TYPES, LINK_KINDS, ArtifactRecord
from .services import artifact_delete, artifact_links, artifact_list
from .stage_artifacts import StageArtifact, stage_artifacts_page

URL_PREFIXES = ("http://", "https://")


def net_score_cell(record: ArtifactRecord):
    score = record.net_score
    problem = record.rating_error or (None if score is None or is_score(score) else "net_score is not in [0, 1]")
    if problem:
        return format_html('<span class="gateway-badge error" title="{}">invalid rating</span>', problem)
    return "—" if score is None else f"{score:.2f}"


def breakable_url(url: str | None):
    """The url, allowed to wrap after each "/" (and anywhere, as a last resort) in a narrow column."""
    if not url:
        return "—"
    *folders, last = cell_text(url).split("/")
    head = format_html_join("", "{}/<wbr>", ((folder,) for folder in folders))
    return format_html('<span class="artifact-url">{}{}</span>', head, last)


def web_link(url: str | None):
    """A link for an http(s) url; any other value (a `javascript:` url from a careless writer, or
    one that does not parse, such as `http://[`) as text."""
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        return url
    if url and parts.scheme in {"http", "https"}:
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url)
    return url


@admin.register(Artifact)
class ArtifactAdmin(GatewayAdmin):
    change_list_template = "admin/artifacts/artifact/change_list.html"
    detail_template = "admin/artifacts/artifact/detail.html"
    delete_template = "admin/artifacts/artifact/delete_confirmation.html"
    stage_artifacts_template = "admin/artifacts/stage_artifacts.html"
    columns = (
        Column("Name", lambda record: cell_text(record.name or record.artifact_id)),
        Column("Type", lambda record: cell_text(record.artifact_type)),
        Column("URL", lambda record: breakable_url(record.url)),
        Column("Net score", net_score_cell),
    )
    list_filters = (
        ListFilter(
            "artifact_type",
            "type",
            tuple((kind, kind.capitalize()) for kind in ARTIFACT_TYPES),
            value=lambda record: record.artifact_type,
        ),
    )
    search_help_text = (
        "A whole artifact id or url (one lookup), or part of a name (case and punctuation do not matter)."
    )

    def fetch_page(self, request, *, filters: dict[str, str], query: str, cursor: str | None, limit: int) -> Page:
        is_url = query.startswith(URL_PREFIXES)
        return artifact_list(
            artifact_type=filters.get("artifact_type"),
            url=query if is_url else None,
            name=query if query and not is_url else None,
            cursor=cursor,
            limit=limit,
        )

    def fetch_record(self, request, object_id: str) -> ArtifactRecord | None:
        return ArtifactGateway().get(object_id)

    def detail_context(self, request, record: ArtifactRecord) -> dict:
        rating = displayed(record.rating).value
        linked = artifact_links(record=record)
        links = []
        for kind in LINK_KINDS:
            artifact_id = getattr(record, f"{kind}_id")
            if artifact_id:
                target = linked.get(kind)
                links.append(
                    {
                        "kind": kind,
                        "artifact_id": artifact_id,
                        "name": target.name if target else getattr(record, f"{kind}_name"),
                        "admin_url": self.change_url(target) if target else None,
                        "url": web_link(target.url if target else getattr(record, f"{kind}_url")),
                    }
                )
        return {
            "url_link": web_link(record.url),
            "links": links,
            "sub_scores": sub_scores(rating) if rating is not None else [],
            "artifact_json": _pretty(record.artifact),
            "rating_json": _pretty(rating),
            "delete_url": self.url_for("delete", quote(record.artifact_id)),
        }

    # ---- delete, with a confirmation page ----

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        object_id = unquote(object_id)
        if not self.has_delete_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            try:
                deleted = artifact_delete(artifact_id=object_id)
            except NotFound:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=[self.model(pk=object_id)],
                action_flag=DELETION,
                change_message=f"Deleted {deleted.artifact_type or 'artifact'} “{deleted.name}” ({deleted.url}).",
                single_object=True,
            )
            self.message_user(request, f"The artifact “{deleted.name}” was deleted.", messages.SUCCESS)
            return HttpResponseRedirect(self.url_for("changelist"))
        record = self.fetch_record(request, object_id)
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.base_context(request, "Are you sure?"),
            "object_id": object_id,
            "record": record,
            "detail_url": self.change_url(record),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.delete_template, context)

    # ---- the files build stages produced, across projects ----

    def extra_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "stage-artifacts/",
                self.wrap(self.stage_artifacts_view),
                name="{}_{}_stage_artifacts".format(*info),
            )
        ]

    def has_stage_artifacts_permission(self, request) -> bool:
        """Stage artifacts are project data: they need a permission on projects."""
        opts = Project._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in ("view", "change")
        )

    def changelist_view(self, request, extra_context=None):
        extra = (
            {"stage_artifacts_url": self.url_for("stage_artifacts")}
            if self.has_stage_artifacts_permission(request)
            else {}
        )
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def stage_artifacts_view(self, request):
        if not self.has_stage_artifacts_permission(request):
            raise PermissionDenied
        cursor = request.GET.get("cursor") or None
        page = stage_artifacts_page(cursor=cursor, limit=self.list_per_page)
        context = {
            **self.base_context(request, "Stage artifacts"),
            "columns": ["Project", "Stage", "Status", "File"],
            "rows": [self._stage_artifact_row(row) for row in page.items],
            "projects_per_page": self.list_per_page,
            "is_first_page": cursor is None,
            "first_url": "?",
            "next_url": "?" + urlencode({"cursor": page.next_cursor}) if page.next_cursor else None,
        }
        return TemplateResponse(request, self.stage_artifacts_template, context)

    def _stage_artifact_row(self, row: StageArtifact) -> dict:
        stage = row.stage or "—"
        if row.stage_name and row.stage_name != row.stage:
            stage = format_html('{} <span class="quiet">({})</span>', stage, row.stage_name)
        status = (
            format_html('<span class="gateway-badge {}">{}</span>', row.stage_status, row.stage_status)
            if row.stage_status
            else "—"
        )
        if row.error:
            file = format_html('<span class="gateway-badge error">unreadable</span> {}', row.error)
        elif row.more:
            file = format_html('<span class="quiet">and {} more files, on the project\'s page</span>', row.more)
        else:
            file = row.path
        project_url = reverse(
            "admin:projects_project_change", args=[quote(row.project_id)], current_app=self.admin_site.name
        )
        return {"url": project_url, "cells": [row.project_id, stage, status, file]}


def _pretty(value: dict | None) -> str | None:
    return None if value is None else write_json(displayed(value).value, indent=2, sort_keys=True)
