"""The /api/ routes: each app owns its own; each answers with and without its trailing slash."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from core.api.errors import route_not_found
from core.api.root import ApiRootView
from core.api.routes import both_spellings

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    *both_spellings(
        [
            path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
            path(
                "docs/",
                SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
                name="api-docs",
            ),
            path("", include("projects.urls")),
            path("", include("jobs.urls")),
            path("", include("artifacts.urls")),
        ]
    ),
    # Last: any other path under /api/ is the API's JSON 404, in every mode (Django's debug page
    # would answer it in HTML under DJANGO_DEBUG=1).
    re_path(r"", route_not_found),
]
