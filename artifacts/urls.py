"""Artifacts API routes, mounted under /api/."""

from rest_framework.routers import SimpleRouter

from .views import ArtifactViewSet

router = SimpleRouter()
router.register("artifacts", ArtifactViewSet, basename="artifact")

urlpatterns = router.urls
