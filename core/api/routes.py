"""Every API route answers both with and without its trailing slash.

Clients write `/api/jobs/job-1` as often as `/api/jobs/job-1/`; Django's APPEND_SLASH can only
redirect a GET (a PATCH or POST would lose its body), so each route gets a twin without the slash
instead. A twin has no name, so `reverse()` keeps giving the canonical spelling with the slash, and
no schema, so the OpenAPI document lists each route once. It comes after its route: a URL that ends
in a slash resolves as it always did (an artifact id may itself contain "/").
"""

from django.urls import URLPattern, URLResolver, path, re_path
from django.urls.resolvers import RegexPattern, RoutePattern


def both_spellings(patterns: list) -> list:
    spelled = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            nested = both_spellings(pattern.url_patterns)
            pattern = URLResolver(pattern.pattern, nested, pattern.default_kwargs, pattern.app_name, pattern.namespace)
            spelled.append(pattern)
            continue
        spelled.append(pattern)
        twin = without_trailing_slash(pattern)
        if twin is not None:
            spelled.append(twin)
    return spelled


def without_trailing_slash(pattern: URLPattern) -> URLPattern | None:
    view = unlisted(pattern.callback)
    route = str(pattern.pattern)
    if isinstance(pattern.pattern, RoutePattern) and route.endswith("/"):
        return path(route[:-1], view, pattern.default_args)
    if isinstance(pattern.pattern, RegexPattern) and route.endswith("/$"):
        return re_path(route[:-2] + "$", view, pattern.default_args)
    return None


def unlisted(view):
    """The same DRF view, left out of the schema (DRF's and drf-spectacular's `schema=None`)."""
    cls = getattr(view, "cls", None)
    if cls is None:
        return view
    initkwargs = {**view.initkwargs, "schema": None}
    actions = getattr(view, "actions", None)
    return cls.as_view(actions, **initkwargs) if actions is not None else cls.as_view(**initkwargs)
