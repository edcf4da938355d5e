"""The API's one error shape: {"detail": human text, "code": machine code}, plus DRF's field errors
under "errors" for a 400. DRF views answer through `exception_handler`; what Django answers before
or after a view (no route matched, a rejected request, an unexpected failure) gets the same shape
under /api/ through `route_not_found`, `ApiExceptionMiddleware` and the `handler400/404/500` views
below, with DEBUG on or off."""

import logging

from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.log import log_response
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import AppError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
MALFORMED = "The request was refused as malformed."


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (for the schema)."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs.")
    errors = serializers.DictField(required=False, help_text="400 only: DRF's field errors, by field.")


def exception_handler(exc, context):
    if isinstance(exc, (BadRequest, SuspiciousOperation)):  # refused by Django inside a view (too many fields)
        return Response(error_body(MALFORMED, "bad_request"), status=400)
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
    return JsonResponse(error_body(MALFORMED, "bad_request"), status=400)


def page_not_found(request, exception):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return route_not_found(request)


def server_error(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("The server failed to answer; the error was logged.", "server_error"), status=500)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


# ---- Under /api/ with DEBUG on too (Django's debug pages are HTML) ----


@csrf_exempt  # a POST to no route is a 404, not a CSRF failure page
def route_not_found(request):
    """The last route under /api/: no other matched."""
    return JsonResponse(error_body(f"No API endpoint at {request.path}.", "not_found"), status=404)


class ApiExceptionMiddleware:
    """An exception that escapes an API view or its rendering (DRF's handler has answered every one it
    knows) is a 500 as Django answers it with DEBUG off: logged with its traceback, signalled, and in
    the error shape, in every mode."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        signals.got_request_exception.send(sender=None, request=request)
        response = server_error(request)
        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request, exception=exception
        )
        return response
