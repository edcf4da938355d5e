"""Jobs API routes, mounted under /api/."""

from django.urls import include, path

urlpatterns: list = [path("", include("jobs.repairs.urls"))]
