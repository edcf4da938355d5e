"""Logs a production user can search: one JSON object per line, each carrying the id of the
request it belongs to, and one line per request (method, route, path, status, duration, AWS
calls made). The same hooks feed the Prometheus metrics of core/metrics.py.

The request id is the load balancer's `X-Request-ID` when it looks like one, else a new one; it
is sent back in the response's `X-Request-ID`.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished
from django.dispatch import receiver

from core import metrics

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_aws_calls: ContextVar[list | None] = ContextVar("aws_calls", default=None)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Metric labels take a bounded set of values: a client may send any method name.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
STARTED = "observability_started"  # where a call's start time waits in botocore's request context
request_log = logging.getLogger("request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        this_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        # Both stay set until the response is closed: Django logs a 4xx or 5xx after the middleware.
        request_id.set(this_id)
        _aws_calls.set(calls := [])
        started = time.perf_counter()
        response = self.get_response(request)  # Django turns exceptions into responses
        duration = time.perf_counter() - started
        match = request.resolver_match
        route = "/" + match.route if match is not None else "(unrouted)"
        method = request.method if request.method in METHODS else "other"
        metrics.HTTP_REQUESTS.labels(method, route, response.status_code).inc()
        metrics.HTTP_DURATION.labels(route).observe(duration)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 2),
                    "aws_calls": len(calls),
                }
            },
        )
        response["X-Request-ID"] = this_id
        return response


@receiver(request_finished, dispatch_uid="observability-request-finished")
def _request_finished(**_kwargs) -> None:
    request_id.set(None)
    _aws_calls.set(None)


class RequestIdFilter(logging.Filter):
    """Gives every record the current request's id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


# ---- botocore event hooks (registered on every session by core.dynamo.connection) ----


def aws_call_started(context, **_kwargs) -> None:
    context[STARTED] = time.perf_counter()


def aws_call_answered(event_name: str, parsed, context, **_kwargs) -> None:
    """After-call: AWS answered, with a result or an error."""
    _, service, operation = event_name.split(".", 2)
    outcome = parsed.get("Error", {}).get("Code") or "ok"
    _finished(service, operation, outcome, context)
    retries = parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    if retries:
        metrics.AWS_RETRIES.labels(service).inc(retries)


def aws_call_failed(event_name: str, exception, context, **_kwargs) -> None:
    """After-call-error: no answer (connection refused, timeout...)."""
    _, service, operation = event_name.split(".", 2)
    _finished(service, operation, type(exception).__name__, context)


def _finished(service: str, operation: str, outcome: str, context: dict) -> None:
    started = context.pop(STARTED, None)
    if started is not None:
        metrics.AWS_CALLS.labels(service, operation, outcome).observe(time.perf_counter() - started)
    calls = _aws_calls.get()
    if calls is not None:
        calls.append((service, operation))


BOTOCORE_HOOKS = (
    ("before-call", aws_call_started),
    ("after-call", aws_call_answered),
    ("after-call-error", aws_call_failed),
)
