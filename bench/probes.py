"""What the benchmark observes through botocore's event hooks, besides `watch_calls()`.

Bytes received: botocore emits `after-call.<service>.<Operation>` with the raw `http_response`
once a response has been received and parsed. Its Content-Length (or, without one, the length
of the body botocore has already read) is what came over the wire. A streaming body (S3
GetObject) is never read here: the header gives its size and the caller still reads it.
Hooks go on each client (`client.meta.events`), since every thread has its own boto3 session.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ResponseBytes:
    """Responses and their body bytes, summed over every client it is attached to (any thread)."""

    def __init__(self, operations: str = ""):
        self.event = f"after-call{operations and '.' + operations}"  # e.g. "dynamodb.Scan"
        self.unique_id = f"bench-response-bytes-{id(self)}"
        self.bytes = 0
        self.responses = 0
        self._lock = threading.Lock()
        self._clients: list = []

    def attach(self, client) -> None:
        client.meta.events.register(self.event, self._count, unique_id=self.unique_id)
        self._clients.append(client)

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister(self.event, unique_id=self.unique_id)
        self._clients.clear()

    def _count(self, http_response, model, **_kwargs) -> None:
        length = http_response.headers.get("content-length")
        if length is None and not model.has_streaming_output:
            length = len(http_response.content)
        with self._lock:
            self.bytes += int(length or 0)
            self.responses += 1


@contextmanager
def response_bytes(*clients, operations: str = "") -> Iterator[ResponseBytes]:
    meter = ResponseBytes(operations)
    for client in clients:
        meter.attach(client)
    try:
        yield meter
    finally:
        meter.detach()
