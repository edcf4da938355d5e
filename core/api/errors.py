"""The API's one error shape: {"detail": human text, "code": machine code}, plus DRF's field errors
under "errors" for a 400. DRF views answer through `exception_handler`; what Django answers before
or after a view (no route matched, a rejected request, an unexpected failure) gets the same shape
under /api/ through the `handler400/404/500` views below."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import AppError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (for the schema)."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs.")
    errors = serializers.DictField(required=False, help_text="400 only: DRF's field errors, by field.")


def exception_handler(exc, context):
    if isinstance(exc, AppError):
        if exc.status_code >= 500:
            logger.warning("AWS unavailable: %s", exc.detail, exc_info=exc.__cause__)
        return Response(error_body(exc.detail, exc.code), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {**error_body("Invalid input.", "invalid"), "errors": response.data}
    else:
        codes = exc.get_codes()
        response.data = error_body(str(exc.detail), codes if isinstance(codes, str) else "error")
    return response


def error_body(detail: str, code: str) -> dict[str, str]:
    return {"detail": detail, "code": code}


# ---- Django's error views (settings: handler400, handler404, handler500 in config.urls) ----


def bad_request(request, exception):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return JsonResponse(error_body("The request was refused as malformed.", "bad_request"), status=400)


def page_not_found(request, exception):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body(f"No API endpoint at {request.path}.", "not_found"), status=404)


def server_error(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("The server failed to answer; the error was logged.", "server_error"), status=500)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)
