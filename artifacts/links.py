"""Where a recorded file leads in this app."""

from urllib.parse import urlencode

from django.urls import reverse

URL_PREFIXES = ("http://", "https://")


def artifact_href(path) -> str:
    """Where a file that a build stage or a job recorded leads in this app.

    An http(s) url leads to the registry searched by that url: the registry is where this app
    knows urls, and shows what is registered under it (or that nothing is). Any other path is a
    file, and leads to "Stage artifacts" filtered to that path: every stage of every project that
    recorded the same file. Recorded paths are never fetched or followed: other services write them.
    """
    if not isinstance(path, str) or not path.strip():
        return ""
    if path.startswith(URL_PREFIXES):
        changelist = reverse("admin:artifacts_artifact_changelist")
        return f"{changelist}?{urlencode({'q': path})}"
    return f"{reverse('admin:artifacts_artifact_stage_artifacts')}?{urlencode({'path': path})}"
