"""Admission control, in front of everything else: a bounded number of queries in the house (running or
waiting for a query worker), a cap per client address, and a cap on request bodies.

Past capacity a request gets ``503`` with ``Retry-After`` at once (never a queue that grows without
bound); a client over its own cap gets ``429``; a body over the limit gets ``413``. Only the routes that
run queries or writes (``/sparql``, ``/store``) are counted: ``/health``, ``/metrics``, the UI and its
static files always answer.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from kg.server.ops import Metrics, log_access
from kg.settings import Settings

COUNTED_PREFIXES = ("/sparql", "/store")
RETRY_AFTER_S = 1


class Admission:
    """Counts the queries in the house, in total and per client address (thread-safe)."""

    def __init__(self, capacity: int, per_client: int) -> None:
        self.capacity = capacity
        self.per_client = per_client
        self.inside = 0
        self.by_client: dict[str, int] = defaultdict(int)
        self.refused_full = 0
        self.refused_client = 0
        self._lock = threading.Lock()

    def enter(self, client: str) -> tuple[int, str] | None:
        """Admit a request (``None``) or say why not: ``(status, message)``."""
        with self._lock:
            if self.by_client[client] >= self.per_client:
                self.refused_client += 1
                return 429, (f"this client address already has {self.by_client[client]} queries running or waiting "
                             f"(the limit is {self.per_client}); wait for one to finish")
            if self.inside >= self.capacity:
                self.refused_full += 1
                return 503, (f"the server is at capacity ({self.capacity} queries running or waiting); "
                             f"retry in {RETRY_AFTER_S} s")
            self.inside += 1
            self.by_client[client] += 1
            return None

    def leave(self, client: str) -> None:
        with self._lock:
            self.inside -= 1
            self.by_client[client] -= 1
            if self.by_client[client] <= 0:
                del self.by_client[client]


class AdmissionControl:
    """ASGI middleware: bounded admission and body size, answered before any other work."""

    def __init__(self, app: Any, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = settings.max_body_bytes
        self.admission = Admission(settings.max_pending_queries, settings.max_client_queries)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(COUNTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._refuse(scope, send, start, 413,
                               f"the request body is {length} bytes; the limit is {self.max_body} bytes")
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        refusal = self.admission.enter(client)
        if refusal is not None:
            await self._refuse(scope, send, start, *refusal, retry=True)
            return
        try:
            if scope["method"] in ("POST", "PUT", "PATCH"):
                body = await _read_body(receive, self.max_body)
                if body is None:
                    await self._refuse(scope, send, start, 413, f"the request body is over the limit of "
                                       f"{self.max_body} bytes")
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, _retry_after_on_503(send))
        finally:
            self.admission.leave(client)

    async def _refuse(self, scope: Any, send: Any, start: float, status: int, message: str, *,
                      retry: bool = False) -> None:
        body = f"{message}\n".encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                   (b"access-control-allow-origin", b"*"), (b"connection", b"close")]
        if retry:
            headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        log_access(self.metrics, scope, status, time.perf_counter() - start, len(body), broken=False,
                   route=scope["path"] if scope["path"] == "/sparql" else "other")


def _retry_after_on_503(send: Any) -> Any:
    """A ``send`` that adds ``Retry-After`` to a 503 (a query stopped at the limit, no worker free)."""

    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start" and message["status"] == 503:
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"retry-after" for name, _ in headers):
                headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sending


def _content_length(scope: Any) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit`` bytes (a chunked body has no length)."""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives the body once, then waits on the real one (for the disconnect)."""
    sent = False

    async def replayed() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
