"""Request bodies: JSON up to API_MAX_BODY_BYTES, refused with a 413 before more is read, and
holding only text that UTF-8 (so DynamoDB, S3 and every JSON reader) can carry."""

import io
import re
from typing import Any

from django.conf import settings
from rest_framework import exceptions, renderers, status
from rest_framework.parsers import BaseParser, JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class BoundedJSONParser(BaseParser):
    """JSON bodies up to settings.API_MAX_BODY_BYTES (execution steps may be megabytes).

    Not a JSONParser subclass on purpose: DRF reads `request.body` for those, where Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) turns a large body into an HTML 400. This parser reads
    the stream itself, at most one byte past the limit, and answers a JSON 413 beyond it."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large(limit)
        try:
            data = JSONParser().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.")
        # A lone surrogate can only come from a \uD800-\uDFFF escape (raw UTF-8 cannot hold one),
        # so bodies without such an escape, nearly all of them, are not walked.
        if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate (a \\uD800-\\uDFFF escape without "
                "its pair), which UTF-8 text cannot carry."
            )
        return data


def too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {limit} bytes (API_MAX_BODY_BYTES).")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any string or key of parsed JSON cannot be encoded as UTF-8 (iteratively: a body
    may be nested as deeply as the parser allows)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False
