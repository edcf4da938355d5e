"""The projects API: thin views over the gateway (reads) and the services (writes)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.paging import page_response, parse_query
from core.history import record_write

from . import services
from .gateway import ProjectsGateway, project_not_found
from .models import Project
from .serializers import (
    ProjectListQuerySerializer,
    ProjectPageSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    StageArtifactsSerializer,
    StageUpdateSerializer,
)

STAGE = OpenApiParameter("stage", str, OpenApiParameter.PATH, description="The stage identifier (`stage`).")


@extend_schema(tags=["projects"])
class ProjectViewSet(viewsets.ViewSet):
    permission_model = Project
    lookup_field = "project_id"
    lookup_value_regex = r"[^/]+"

    @extend_schema(parameters=[ProjectListQuerySerializer], responses=ProjectPageSerializer)
    def list(self, request):
        query = parse_query(request, ProjectListQuerySerializer)
        page = ProjectsGateway().page(status=query.get("status"), limit=query["limit"], cursor=query.get("cursor"))
        return page_response(request, page, ProjectSerializer(page.items, many=True).data)

    @extend_schema(responses=ProjectSerializer)
    def retrieve(self, request, project_id: str):
        record = ProjectsGateway().get(project_id)
        if record is None:
            raise project_not_found(project_id)
        return Response(ProjectSerializer(record).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectSerializer)
    def partial_update(self, request, project_id: str):
        changes = _validated(ProjectUpdateSerializer, request)
        record = services.project_update(project_id=project_id, changes=changes)
        record_write(user=request.user, model=Project, object_id=project_id, fields=changes)
        return Response(ProjectSerializer(record).data)

    @extend_schema(request=StageUpdateSerializer, responses=ProjectSerializer, parameters=[STAGE])
    @action(detail=True, methods=["patch"], url_path=r"stages/(?P<stage>[^/]+)", url_name="stage")
    def stage(self, request, project_id: str, stage: str):
        changes = _validated(StageUpdateSerializer, request)
        new_logs = changes.pop("logs", [])
        record = services.stage_update(project_id=project_id, stage=stage, changes=changes, new_logs=new_logs)
        fields = [*changes, *(["logs"] if new_logs else [])]
        record_write(user=request.user, model=Project, object_id=project_id, fields=fields, part=("stage", stage))
        return Response(ProjectSerializer(record).data)

    @extend_schema(request=StageArtifactsSerializer, responses=ProjectSerializer, parameters=[STAGE])
    @action(detail=True, methods=["put"], url_path=r"stages/(?P<stage>[^/]+)/artifacts", url_name="stage-artifacts")
    def stage_artifacts(self, request, project_id: str, stage: str):
        artifacts = _validated(StageArtifactsSerializer, request)["artifacts"]
        record = services.stage_replace_artifacts(project_id=project_id, stage=stage, artifacts=artifacts)
        record_write(
            user=request.user, model=Project, object_id=project_id, fields=["artifacts"], part=("stage", stage)
        )
        return Response(ProjectSerializer(record).data)


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
