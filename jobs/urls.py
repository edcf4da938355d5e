"""Jobs API routes, mounted under /api/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [*router.urls, path("", include("jobs.repairs.urls"))]
