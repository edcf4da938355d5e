"""The /api/ routes: each app owns its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("projects.urls")),
    path("", include("jobs.urls")),
    path("", include("artifacts.urls")),
]
