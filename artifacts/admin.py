from urllib.parse import urlencode, urlsplit

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import Column, GatewayAdmin, ListFilter
from core.admin_forms import ChangeFormAdmin
from core.display import cell_text, displayed
from core.dynamo.paging import Page
from core.errors import NotFound
from core.history import ADDITION, DELETION, record_write
from core.stored_json import write_json
from projects.models import Project

from .forms import ArtifactForm, artifact_values
from .gateway import ArtifactGateway
from .links import URL_PREFIXES, artifact_href
from .models import Artifact
from .rating import is_score, sub_scores
from .records import ARTIFACT_TYPES, LINK_KINDS, ArtifactRecord
from .services import (
    DuplicateUrl,
    artifact_create,
    artifact_delete,
    artifact_get,
    artifact_linked_models,
    artifact_links,
    artifact_list,
    artifact_replace,
    deletion_message,
)
from .stage_artifacts import StageArtifact, stage_artifacts_page

LINK_CHOICES = 200  # names offered for a link (any registered one can be typed)
LINKED_MODELS_SHOWN = 100


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
class ArtifactAdmin(ChangeFormAdmin, GatewayAdmin):
    change_form_class = ArtifactForm
    add_template = "admin/artifacts/artifact/add.html"
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
            "title": record.name or record.artifact_id,
            "url_link": web_link(record.url),
            "linked_models": self.linked_model_rows(record),
            "links": links,
            "sub_scores": sub_scores(rating) if rating is not None else [],
            "artifact_json": _pretty(record.artifact),
            "rating_json": _pretty(rating),
            "delete_url": self.url_for("delete", quote(record.artifact_id)),
            **self.artifact_form_context(request, record),
        }

    def linked_model_rows(self, record: ArtifactRecord) -> dict | None:
        """The models that use this dataset or code artifact, each linked to its page."""
        if record.artifact_type not in LINK_KINDS:
            return None
        linked = artifact_linked_models(record=record, limit=LINKED_MODELS_SHOWN)
        return {
            "rows": [
                {"name": model.name or model.artifact_id, "url": self.change_url(model)} for model in linked.models
            ],
            "complete": linked.complete,
        }

    def history_view(self, request, object_id, extra_context=None):
        record = self.fetch_record(request, unquote(object_id))
        title = {"title": f"Change history: {record.name}"} if record is not None and record.name else {}
        return super().history_view(request, object_id, {**title, **(extra_context or {})})

    # ---- add and change ----

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def artifact_form_context(self, request, record: ArtifactRecord) -> dict:
        if record.artifact_error or record.rating_error:  # a replace would drop what cannot be read
            return (
                {"unchangeable": "its stored artifact or rating cannot be read"}
                if self.has_change_permission(request)
                else {}
            )
        # No name list here: it would cost the page two more requests; names typed are looked up.
        return self.change_form_context(request, record)

    def link_choices(self) -> dict:
        """Names offered in the dataset and code fields: one page of each kind."""
        return {
            f"{kind}_names": sorted(
                {record.name for record in artifact_list(artifact_type=kind, limit=LINK_CHOICES).items}
            )
            for kind in LINK_KINDS
        }

    def form_values(self, record: ArtifactRecord) -> dict[str, str]:
        return artifact_values(record)

    def current_record(self, object_id: str) -> ArtifactRecord:
        return artifact_get(artifact_id=object_id)

    def write_change(self, object_id: str, record: ArtifactRecord, form: ArtifactForm) -> ArtifactRecord:
        def content(current: ArtifactRecord):
            form.check_still_shown(artifact_values(current))
            return form.content(current)

        return artifact_replace(artifact_id=object_id, content=content)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        blank = artifact_values(None)
        form = ArtifactForm(current=blank)
        if request.method == "POST":
            form = ArtifactForm(request.POST, current=blank)
            if form.is_valid():
                try:
                    created = artifact_create(content=form.content(None))
                except DuplicateUrl as err:
                    form.add_error("url", err.detail)
                else:
                    record_write(user=request.user, model=self.model, object_id=created.artifact_id, action=ADDITION)
                    self.message_user(request, f"The artifact “{created.name}” was added.", messages.SUCCESS)
                    return HttpResponseRedirect(self.change_url(created))
        context = {
            **self.base_context(request, "Add artifact"),
            "change_form": form,
            **self.link_choices(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.add_template, context)

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
            record_write(
                user=request.user,
                model=self.model,
                object_id=object_id,
                action=DELETION,
                message=deletion_message(deleted),
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
            path("add/", self.wrap(self.add_view), name="{}_{}_add".format(*info)),
            path(
                "stage-artifacts/",
                self.wrap(self.stage_artifacts_view),
                name="{}_{}_stage_artifacts".format(*info),
            ),
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
        if self.has_add_permission(request):
            extra["add_url"] = self.url_for("add")
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def stage_artifacts_view(self, request):
        if not self.has_stage_artifacts_permission(request):
            raise PermissionDenied
        cursor = request.GET.get("cursor") or None
        path_filter = request.GET.get("path") or None
        page = stage_artifacts_page(cursor=cursor, limit=self.list_per_page)
        rows = [row for row in page.items if path_filter is None or row.path == path_filter]
        base = {"path": path_filter} if path_filter else {}
        context = {
            **self.base_context(request, "Stage artifacts"),
            "columns": ["Project", "Stage", "Status", "File"],
            "rows": [self._stage_artifact_row(row) for row in rows],
            "projects_per_page": self.list_per_page,
            "path_filter": path_filter,
            "is_first_page": cursor is None,
            "first_url": "?" + urlencode(base),
            "next_url": "?" + urlencode({**base, "cursor": page.next_cursor}) if page.next_cursor else None,
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
        elif artifact_href(row.path):
            file = format_html('<a href="{}">{}</a>', artifact_href(row.path), row.path)
        else:
            file = row.path
        project_url = reverse(
            "admin:projects_project_change", args=[quote(row.project_id)], current_app=self.admin_site.name
        )
        return {"url": project_url, "cells": [row.project_id, stage, status, file]}


def _pretty(value: dict | None) -> str | None:
    return None if value is None else write_json(displayed(value).value, indent=2, sort_keys=True)
