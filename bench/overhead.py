"""Overhead ratio: the median time of an API read through Django and DRF, over the median time of
the raw boto3 calls that fetch the same data. Both run in this process and thread, on the same
boto3 clients and moto server, interleaved: each round calls every probe once, in a shuffled
order, so that drift on a shared machine touches both sides alike. Each run gives one ratio of
medians; the report shows the median ratio over the runs, with its min and max.

The Django side is called as a WSGI server calls it: Django's WSGI application, given the
environ of a GET, its response body read and closed. Django's test client would add its own
work (copying the request, recording templates and signals), which no production request does.
"""

import gc
import io
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .stats import Spread

MAX_RATIO = 1.25
WARM_UP_ROUNDS = 20


@dataclass(frozen=True)
class Probe:
    label: str
    path: str
    raw: Callable[[], object] | None  # None: no AWS call at all; the row shows the framework's own time
    target: float | None = None
    status: int = 200


@dataclass(frozen=True)
class OverheadRow:
    probe: Probe
    django_ms: Spread
    raw_ms: Spread | None
    added_ms: Spread | None  # median Django time minus median raw time, per run
    ratio: Spread | None
    tight_loop_ms: Spread | None = None  # without raw calls: the Django time in a loop of its own
    queries: int = 0  # SQL queries of one request (authentication, permissions)

    @property
    def passed(self) -> bool | None:
        if self.probe.target is None or self.ratio is None:
            return None
        return self.ratio.median <= self.probe.target


def measure(probes: list[Probe], *, authorization: str, runs: int, samples: int, seed: int) -> list[OverheadRow]:
    rng = random.Random(seed)
    application = WSGIHandler()
    calls = {}
    for probe in probes:
        calls[(probe.label, "django")] = _django_call(application, probe, authorization)
        if probe.raw is not None:
            calls[(probe.label, "raw")] = probe.raw
    order = list(calls)
    for _ in range(WARM_UP_ROUNDS):
        for call in calls.values():
            call()
    medians: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
    for _ in range(runs):
        gc.collect()
        times: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
        for _ in range(samples):
            rng.shuffle(order)
            for key in order:
                start = time.perf_counter()
                calls[key]()
                times[key].append((time.perf_counter() - start) * 1000)
        for key, values in times.items():
            medians[key].append(Spread.of(values).median)
    rows = []
    for probe in probes:
        django = medians[(probe.label, "django")]
        raw = medians.get((probe.label, "raw"))
        rows.append(
            OverheadRow(
                probe=probe,
                django_ms=Spread.of(django),
                raw_ms=Spread.of(raw) if raw else None,
                added_ms=Spread.of(d - r for d, r in zip(django, raw, strict=True)) if raw else None,
                ratio=Spread.of(d / r for d, r in zip(django, raw, strict=True)) if raw else None,
                tight_loop_ms=None if raw else _tight_loop(calls[(probe.label, "django")], runs=runs, samples=samples),
                queries=_queries(calls[(probe.label, "django")]),
            )
        )
    return rows


def _queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def _tight_loop(call: Callable[[], object], *, runs: int, samples: int) -> Spread:
    """The median time of `call` repeated back to back (no network wait between calls), per run."""
    medians = []
    for _ in range(runs):
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        medians.append(Spread.of(times).median)
    return Spread.of(medians)


def _django_call(application: WSGIHandler, probe: Probe, authorization: str) -> Callable[[], bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": probe.path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": authorization,
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    def call():
        status = []
        body = application(
            {**environ, "wsgi.input": io.BytesIO()}, lambda line, headers, exc_info=None: status.append(line)
        )
        try:
            content = b"".join(body)
        finally:
            body.close()  # as a WSGI server does: Django's request_finished signal
        if not status[0].startswith(f"{probe.status} "):
            raise RuntimeError(f"GET {probe.path} answered {status[0]}: {content[:300]!r}")
        return content

    return call
