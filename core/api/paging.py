from urllib.parse import urlencode

from rest_framework import serializers
from rest_framework.response import Response

from core.dynamo.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    cursor = serializers.CharField(required=False, max_length=4096)


def parse_query(request, serializer_class=PageQuerySerializer) -> dict:
    """Validated query parameters (limit, cursor and any filters the serializer adds)."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def page_response(request, page: Page, results: list) -> Response:
    next_url = None
    if page.next_cursor:
        params = request.query_params.copy()
        params["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params, doseq=True)}")
    return Response({"results": results, "next": next_url})
