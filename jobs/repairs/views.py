"""The repairs API: the findings of the latest completed scan (no AWS request, whatever the
table's size), and background scans started and followed; repairs are made from the admin page
or the command."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.paging import parse_query
from core.errors import InvalidInput, NotFound
from jobs.models import Scan, StaleKeyRepair

from .permissions import FindingsPermission, ScanPermission
from .scans import scan_findings, scan_latest_done, scan_start
from .serializers import FindingsQuerySerializer, FindingsSerializer, ScanSerializer, scan_document
from .services import stale_keys_document


class FindingsView(APIView):
    permission_model = StaleKeyRepair
    permission_classes = [FindingsPermission]

    @extend_schema(operation_id="repairs_findings", parameters=[FindingsQuerySerializer], responses=FindingsSerializer)
    def get(self, request):
        """The findings of the latest completed scan (`scan`: null when none has completed yet),
        read from the project's database: no AWS request. Start a new scan with
        `POST /api/repairs/scans/`."""
        selected = parse_query(request, FindingsQuerySerializer).get("kind")
        scan = scan_latest_done()
        findings = scan_findings(scan, kinds=selected or None) if scan is not None else []
        body = stale_keys_document(findings=findings, repaired=0)
        body["scan"] = scan_document(scan, summary=True) if scan is not None else None
        return Response(body)


class ScansView(APIView):
    permission_model = StaleKeyRepair
    permission_classes = [ScanPermission]

    @extend_schema(
        operation_id="repairs_scan_start",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={202: ScanSerializer},
    )
    def post(self, request):
        """Start a background scan of every kind, run by the workers (`manage.py run_worker`) in
        `REPAIR_SCAN_SEGMENTS` segments. Needs the jobs change permission. 202, with `Location`.
        The body, if any, is a JSON object with nothing to set (a scan always checks every kind)."""
        if not isinstance(request.data, dict):  # parsing it answers 415 or 413 as for every write
            raise InvalidInput("The body, when given, must be a JSON object.")
        scan = scan_start(origin="api", user=request.user)
        location = reverse("repairs-scan", args=[scan.pk])
        return Response(scan_document(scan), status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class ScanView(APIView):
    permission_model = StaleKeyRepair
    permission_classes = [ScanPermission]

    @extend_schema(operation_id="repairs_scan", responses=ScanSerializer)
    def get(self, request, scan_id: int):
        """A scan's status (`queued`, `running`, `done`, `failed`) and progress; `findings_count`
        once done."""
        scan = Scan.objects.filter(pk=scan_id).first()
        if scan is None:
            raise NotFound(f"No scan {scan_id}.")
        return Response(scan_document(scan))
