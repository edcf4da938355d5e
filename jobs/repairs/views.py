"""`GET /api/repairs/`: the current findings; repairs are made from the admin page or the command."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.paging import parse_query
from jobs.models import StaleKeyRepair

from .kinds import DEFAULT_KINDS, KINDS
from .permissions import FindingsPermission
from .scanner import stale_keys_scan
from .serializers import FindingsQuerySerializer, FindingsSerializer
from .services import stale_keys_document


class FindingsView(APIView):
    permission_model = StaleKeyRepair
    permission_classes = [FindingsPermission]

    @extend_schema(operation_id="repairs_findings", parameters=[FindingsQuerySerializer], responses=FindingsSerializer)
    def get(self, request):
        """Stale execution_steps keys and orphan objects, found by a full scan of the Jobs table's
        keys and a listing of `jobs/` in S3 (no per-job S3 requests)."""
        selected = parse_query(request, FindingsQuerySerializer).get("kind")
        kinds = [kind for kind in KINDS if kind in selected] if selected else DEFAULT_KINDS
        report = stale_keys_scan(kinds=kinds)
        return Response(stale_keys_document(findings=report.findings, repaired=0))
