"""Prometheus metrics (prometheus-client), served at /metrics to staff (core/views.py).

Under gunicorn, each worker counts on its own; with PROMETHEUS_MULTIPROC_DIR set (an empty
directory, as `make serve` gives it), the workers write their counts there and /metrics adds
them up, whichever worker answers.
"""

import os

from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

HTTP_REQUESTS = Counter("http_requests", "Requests answered, by route and status.", ["method", "route", "status"])
HTTP_DURATION = Histogram("http_request_duration_seconds", "Time to answer a request, by route.", ["route"])
AWS_CALLS = Histogram(
    "aws_call_duration_seconds",
    "AWS API calls (their count is this histogram's count), by service, operation and outcome "
    "(ok, or AWS's error code, or the client's exception when no answer came), with their latency "
    "(botocore's own retries included).",
    ["service", "operation", "outcome"],
)
AWS_RETRIES = Counter("aws_call_retries", "Attempts botocore repeated after a throttle or a server error.", ["service"])
CONDITIONAL_WRITE_CONFLICTS = Counter(
    "conditional_write_conflicts",
    "Conditional writes refused because another writer changed the item first: retried from the read, "
    "or given up (answered 409).",
    ["result"],
)
REPAIRS_APPLIED = Counter("stale_key_repairs_applied", "Stale-key repairs applied, by finding kind.", ["kind"])


def exposition() -> bytes:
    """Every metric in Prometheus's text format, summed over the workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(PROCESS_REGISTRY)
