"""Jobs API: thin views over the gateway and the job services."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from core.api.paging import page_response, parse_query
from core.history import record_write

from .gateway import JobGateway
from .models import Job
from .serializers import (
    JobDetailSerializer,
    JobListQuerySerializer,
    JobPageSerializer,
    JobSerializer,
    JobUpdateSerializer,
)
from .services import JobDetail, job_detail, job_execution_steps, job_update


@extend_schema(tags=["jobs"])
class JobViewSet(viewsets.ViewSet):
    permission_model = Job
    lookup_field = "job_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(parameters=[JobListQuerySerializer], responses=JobPageSerializer)
    def list(self, request):
        query = parse_query(request, JobListQuerySerializer)
        page = JobGateway().list_page(
            status=query.get("status"), location=query.get("location"), limit=query["limit"], cursor=query.get("cursor")
        )
        return page_response(request, page, JobSerializer(page.items, many=True).data)

    @extend_schema(responses=JobDetailSerializer)
    def retrieve(self, request, job_id: str):
        return Response(JobDetailSerializer(job_detail(job_id=job_id)).data)

    @extend_schema(request=JobUpdateSerializer, responses=JobDetailSerializer)
    def partial_update(self, request, job_id: str):
        serializer = JobUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        attributes = dict(serializer.validated_data)
        steps = attributes.pop("execution_steps", None)
        record = job_update(job_id=job_id, attributes=attributes, execution_steps=steps)
        record_write(user=request.user, model=Job, object_id=job_id, fields=serializer.validated_data)
        detail = JobDetail(record=record, steps=job_execution_steps(record=record, written=steps))
        return Response(JobDetailSerializer(detail).data)
