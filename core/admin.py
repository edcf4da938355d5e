"""Admin pages for data that lives in DynamoDB, not in ORM tables.

Each entity has an unmanaged model (no table): it gives the admin index entry, view/change
permissions and LogEntry history. `GatewayAdmin` replaces the ORM-backed list and detail views
with views that read one page through a gateway: cursor paging, no total count, never a
QuerySet over domain data (a fake QuerySet that counts would turn every page into a full Scan).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.dynamo.cursors import decode_cursor_stack, encode_cursor_stack
from core.dynamo.paging import Page

PAGE_SIZES = (25, 100, 200)
# "Previous page" goes back this many pages (each cursor lengthens the URL); "First page" always works.
PREVIOUS_PAGES = 10


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class ListFilter:
    parameter: str
    title: str
    choices: tuple[tuple[str, str], ...]  # (value, label)
    # The record's value for this filter: a record found by its id is shown only if it matches.
    value: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class DetailPage:
    """One page of a long list on a detail page (stages, logs, steps), with links to its neighbours."""

    items: Sequence
    first: int  # index of the first item shown
    number: int
    pages: int
    count: int
    previous_url: str | None
    next_url: str | None

    @property
    def last(self) -> int:
        """Position (from 1) of the last item shown."""
        return self.first + len(self.items)


def detail_page(
    items: Sequence, query: Mapping, parameter: str, per_page: int, keep: Mapping | None = None
) -> DetailPage:
    """The page of `items` that `query[parameter]` names (the first for a missing or odd value);
    its links keep the other parameters of `query`, changed by `keep` (None drops one)."""
    page = Paginator(items, per_page).get_page(query.get(parameter))
    params = {**{name: query.get(name) for name in query}, **(keep or {})}
    params = {name: value for name, value in params.items() if value is not None}

    def url(number: int) -> str:
        return "?" + urlencode({**params, parameter: number})

    return DetailPage(
        items=page.object_list,
        first=page.start_index() - 1 if items else 0,
        number=page.number,
        pages=page.paginator.num_pages,
        count=len(items),
        previous_url=url(page.previous_page_number()) if page.has_previous() else None,
        next_url=url(page.next_page_number()) if page.has_next() else None,
    )


class GatewayAdmin(admin.ModelAdmin):
    change_list_template = "admin/gateway/change_list.html"
    detail_template = "admin/gateway/detail.html"
    columns: tuple[Column, ...] = ()
    list_filters: tuple[ListFilter, ...] = ()
    search_help_text = ""
    list_per_page = 25

    # ---- what a subclass provides ----

    def fetch_page(self, request, *, filters: dict[str, str], query: str, cursor: str | None, limit: int) -> Page:
        """One page of records: one DynamoDB request, or, filtered or searched, the few that fill it."""
        return Page(items=[], next_cursor=None)

    def fetch_record(self, request, object_id: str) -> Any | None:
        """The record for `object_id` (one GetItem), or None when there is none. A search for a
        whole id finds its record with it."""
        return None

    def record_id(self, record) -> str:
        return str(getattr(record, self.model._meta.pk.name))

    def detail_context(self, request, record) -> dict:
        return {}

    def extra_urls(self) -> list:
        """More URL patterns (already wrapped with `self.admin_site.admin_view`)."""
        return []

    # ---- the ORM parts an unmanaged model must not reach ----

    def get_queryset(self, request):
        return self.model._default_manager.none()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        """An unsaved instance standing for the record, for history and the admin log."""
        record = self.fetch_record(request, object_id)
        return None if record is None else self.model(pk=object_id)

    # ---- views ----

    def wrap(self, view):
        return self.admin_site.admin_view(view)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            *self.extra_urls(),
            path("", self.wrap(self.changelist_view), name="{}_{}_changelist".format(*info)),
            path("<path:object_id>/history/", self.wrap(self.history_view), name="{}_{}_history".format(*info)),
            path("<path:object_id>/delete/", self.wrap(self.delete_view), name="{}_{}_delete".format(*info)),
            path("<path:object_id>/change/", self.wrap(self.change_view), name="{}_{}_change".format(*info)),
            path("<path:object_id>/", self.wrap(self.change_view), name="{}_{}_detail".format(*info)),
        ]

    def url_for(self, name: str, *args) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args, current_app=self.admin_site.name
        )

    def change_url(self, record) -> str:
        return self.url_for("change", quote(self.record_id(record)))

    def base_context(self, request, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "app_label": self.opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "has_change_permission": self.has_change_permission(request),
            "has_delete_permission": self.has_delete_permission(request),
        }

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        filters = self.selected_filters(request)
        query = request.GET.get("q", "").strip()
        cursor = request.GET.get("cursor") or None
        limit = self.page_size(request)
        base_params = {
            **filters,
            **({"q": query} if query else {}),
            **({"per_page": str(limit)} if limit != self.list_per_page else {}),
        }
        back = self.previous_cursors(request, base_params)
        found = self.find_by_id(request, query, filters) if query and cursor is None else None
        if found is None:
            page = self.fetch_page(request, filters=filters, query=query, cursor=cursor, limit=limit)
        else:
            page = Page(items=[found], next_cursor=None, scanned=1, requests=1)
        context = {
            **self.base_context(request, self.opts.verbose_name_plural.capitalize()),
            "columns": [column.title for column in self.columns],
            "rows": [
                {"url": self.change_url(record), "cells": [column.value(record) for column in self.columns]}
                for record in page.items
            ],
            "filters": self.filter_links(filters, base_params),
            "search_query": query,
            "search_help_text": self.search_help_text,
            "has_search": bool(self.search_help_text),
            "is_first_page": cursor is None,
            "first_url": "?" + urlencode(base_params),
            "previous_url": self.previous_url(base_params, back) if cursor else None,
            "next_url": self.next_url(base_params, back, cursor, page.next_cursor) if page.next_cursor else None,
            "found_by_id": found is not None,
            "scanned": page.scanned,
            "requests": page.requests,
            "is_short": page.next_cursor is not None and len(page.items) < limit,
            "page_sizes": [
                {"size": size, "selected": size == limit, "url": "?" + urlencode({**base_params, "per_page": size})}
                for size in PAGE_SIZES
            ],
            "per_page": base_params.get("per_page", ""),  # kept by the search form when not the default
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)

    # ---- finding and paging ----

    def find_by_id(self, request, query: str, filters: dict[str, str]) -> Any | None:
        """The record whose id is the whole query (one GetItem), if the selected filters hold it."""
        record = self.fetch_record(request, query)
        if record is None:
            return None
        accessors = {list_filter.parameter: list_filter.value for list_filter in self.list_filters}
        if all(accessors[name] is not None and accessors[name](record) == value for name, value in filters.items()):
            return record
        return None

    def page_size(self, request) -> int:
        """The chosen page size; anything but one of PAGE_SIZES is the default, as unknown filter values are ignored."""
        chosen = request.GET.get("per_page", "")
        return int(chosen) if chosen in {str(size) for size in PAGE_SIZES} else self.list_per_page

    def listing_scope(self, base_params: dict[str, str]) -> str:
        return f"admin:{self.opts.label}:" + urlencode(sorted(base_params.items()))

    def previous_cursors(self, request, base_params: dict[str, str]) -> list[str]:
        """The cursors of the pages before this one, as the signed `back` parameter carries them."""
        token = request.GET.get("back")
        return decode_cursor_stack(token, self.listing_scope(base_params)) if token else []

    def previous_url(self, base_params: dict[str, str], back: list[str]) -> str | None:
        if not back:
            return None  # further back than the stack keeps: only "First page" remains
        *earlier, cursor = back
        params = {**base_params, **({"cursor": cursor} if cursor else {})}
        if earlier:
            params["back"] = encode_cursor_stack(earlier, self.listing_scope(base_params))
        return "?" + urlencode(params)

    def next_url(self, base_params: dict[str, str], back: list[str], cursor: str | None, next_cursor: str) -> str:
        stack = [*back, cursor or ""][-PREVIOUS_PAGES:]
        back_token = encode_cursor_stack(stack, self.listing_scope(base_params))
        return "?" + urlencode({**base_params, "cursor": next_cursor, "back": back_token})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        object_id = unquote(object_id)
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        record = self.fetch_record(request, object_id)
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.base_context(request, f"{self.opts.verbose_name.capitalize()} {object_id}"),
            "object_id": object_id,
            "original": self.model(pk=object_id),
            "record": record,
            "history_url": self.url_for("history", quote(object_id)),
            **self.detail_context(request, record),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.detail_template, context)

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    # ---- filters ----

    def selected_filters(self, request) -> dict[str, str]:
        selected = {}
        for list_filter in self.list_filters:
            value = request.GET.get(list_filter.parameter)
            if value in {choice for choice, _ in list_filter.choices}:
                selected[list_filter.parameter] = value
        return selected

    def filter_links(self, selected: dict[str, str], base_params: dict[str, str]) -> list[dict]:
        groups = []
        for list_filter in self.list_filters:
            others = {k: v for k, v in base_params.items() if k != list_filter.parameter}
            links = [
                {"label": "All", "url": "?" + urlencode(others), "selected": list_filter.parameter not in selected}
            ]
            for value, label in list_filter.choices:
                links.append(
                    {
                        "label": label,
                        "value": value,
                        "url": "?" + urlencode({**others, list_filter.parameter: value}),
                        "selected": selected.get(list_filter.parameter) == value,
                    }
                )
            groups.append({"title": list_filter.title, "parameter": list_filter.parameter, "links": links})
        return groups
