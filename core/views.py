from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView

from core import metrics
from core.health import health_report


@never_cache
@require_safe
def healthz(request):
    """Each part's state; staff (logged into the admin) read what is wrong instead of the state word."""
    report = health_report()
    staff = request.user.is_active and request.user.is_staff
    body = {part: health.detail if staff else health.state for part, health in report.items()}
    healthy = all(health.state == "ok" for health in report.values())
    return JsonResponse(body, status=200 if healthy else 503)


class MetricsView(APIView):
    """Prometheus metrics, for staff: a scraper authenticates with a staff user's API token."""

    permission_classes = [IsAdminUser]

    def perform_content_negotiation(self, request, force=False):
        # Prometheus asks for its text format, which no API renderer offers; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(exclude=True)  # not part of the API
    def get(self, request):
        return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
