from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.api.errors import ErrorSerializer
from core.api.paging import page_response, parse_query
from core.history import ADDITION, DELETION, record_write

from .models import Artifact
from .serializers import (
    ArtifactPageSerializer,
    ArtifactQuerySerializer,
    ArtifactSerializer,
    ArtifactWriteSerializer,
)
from .services import (
    ArtifactContent,
    artifact_create,
    artifact_delete,
    artifact_get,
    artifact_list,
    artifact_replace,
    deletion_message,
)


def _write_input(request) -> dict:
    serializer = ArtifactWriteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    """What these codes mean here, where it says more than the schema's general description."""
    meaning = {
        400: "Invalid input (field errors under `errors`), or a cursor from another listing.",
        404: "No artifact with this id.",
        409: "The url is already registered (`duplicate_url`), or concurrent writers kept conflicting.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=meaning[code]) for code in codes}


@extend_schema_view(
    list=extend_schema(parameters=[ArtifactQuerySerializer], responses={200: ArtifactPageSerializer, **_errors(400)}),
    create=extend_schema(request=ArtifactWriteSerializer, responses={201: ArtifactSerializer, **_errors(400, 409)}),
    retrieve=extend_schema(responses={200: ArtifactSerializer, **_errors(404)}),
    update=extend_schema(
        request=ArtifactWriteSerializer, responses={200: ArtifactSerializer, **_errors(400, 404, 409)}
    ),
    destroy=extend_schema(responses={204: None, **_errors(404)}),
)
class ArtifactViewSet(viewsets.ViewSet):
    """The artifact registry (`artifacts_metadata`): models, datasets and code."""

    permission_model = Artifact
    lookup_field = "artifact_id"
    lookup_value_regex = r"[\s\S]+"  # ids written by other services may hold any character, even "/" or a newline

    def list(self, request):
        query = parse_query(request, ArtifactQuerySerializer)
        page = artifact_list(
            artifact_type=query.get("artifact_type"),
            url=query.get("url"),
            name=query.get("name"),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        return page_response(request, page, ArtifactSerializer(page.items, many=True).data)

    def create(self, request):
        record = artifact_create(content=ArtifactContent(**_write_input(request)))
        record_write(user=request.user, model=Artifact, object_id=record.artifact_id, action=ADDITION)
        location = reverse("artifact-detail", args=[record.artifact_id], request=request)
        return Response(ArtifactSerializer(record).data, status=status.HTTP_201_CREATED, headers={"Location": location})

    def retrieve(self, request, artifact_id: str):
        return Response(ArtifactSerializer(artifact_get(artifact_id=artifact_id)).data)

    def update(self, request, artifact_id: str):
        content = _write_input(request)
        record = artifact_replace(artifact_id=artifact_id, content=ArtifactContent(**content))
        record_write(user=request.user, model=Artifact, object_id=artifact_id, fields=content)
        return Response(ArtifactSerializer(record).data)

    def destroy(self, request, artifact_id: str):
        deleted = artifact_delete(artifact_id=artifact_id)
        record_write(
            user=request.user, model=Artifact, object_id=artifact_id, action=DELETION, message=deletion_message(deleted)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
