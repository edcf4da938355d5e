"""Lazily built boto3 sessions and resources, one per thread (boto3 sessions are not thread-safe).

Endpoint and region come from settings (which read AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB,
AWS_DEFAULT_REGION); the cache is keyed by them, so changing settings gives a fresh resource.
Every client made here announces its API calls to `watch_calls()` listeners through
botocore's event hooks, which is how tests and the benchmark count AWS round trips, and to the
request log and metrics (core/observability.py).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config
from django.conf import settings

from core import observability

_local = threading.local()
_listeners: list[Callable[[str, str], None]] = []


def _announce(event_name: str, **_kwargs) -> None:
    # event_name is "before-call.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    for listener in list(_listeners):
        listener(service, operation)


@contextmanager
def watch_calls() -> Iterator[list[tuple[str, str]]]:
    """Collect (service, operation) for every AWS API call made, in any thread, inside the block."""
    calls: list[tuple[str, str]] = []
    _listeners.append(lambda service, operation: calls.append((service, operation)))
    listener = _listeners[-1]
    try:
        yield calls
    finally:
        _listeners.remove(listener)


def boto_session() -> boto3.session.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = boto3.session.Session()
        session.events.register("before-call", _announce)
        for event, hook in observability.BOTOCORE_HOOKS:
            session.events.register(event, hook)
        _local.session = session
    return session


def client_config() -> Config:
    return Config(
        # Attempts in all, the first included: what AWS_MAX_ATTEMPTS means to boto3 itself.
        retries={"mode": "standard", "total_max_attempts": settings.AWS_MAX_ATTEMPTS},
        connect_timeout=settings.AWS_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_READ_TIMEOUT,
    )


def dynamodb_endpoint() -> str:
    return settings.AWS_ENDPOINT_URL_DYNAMODB or f"AWS DynamoDB ({settings.AWS_DEFAULT_REGION})"


def _resource_key() -> tuple:
    return settings.AWS_ENDPOINT_URL_DYNAMODB, settings.AWS_DEFAULT_REGION, settings.AWS_MAX_ATTEMPTS


def dynamodb_resource():
    key = _resource_key()
    resources = _local.__dict__.setdefault("resources", {})
    if key not in resources:
        resources[key] = boto_session().resource(
            "dynamodb",
            endpoint_url=settings.AWS_ENDPOINT_URL_DYNAMODB,
            region_name=settings.AWS_DEFAULT_REGION,
            config=client_config(),
        )
    return resources[key]


def dynamodb_table(name: str):
    """The boto3 Table resource for `name` (no request is made), built once per thread: each
    `resource.Table()` call builds a new resource class, which costs more than a GetItem's parsing."""
    key = (*_resource_key(), name)
    tables = _local.__dict__.setdefault("tables", {})
    if key not in tables:
        tables[key] = dynamodb_resource().Table(name)
    return tables[key]


def dynamodb_client():
    return dynamodb_resource().meta.client
