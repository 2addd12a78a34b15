"""Operations: ``/health``, ``/metrics`` (Prometheus text format) and the structured access log,
kept by one ASGI middleware that times each request until its last byte."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

access_log = logging.getLogger("kg.server.access")
router = APIRouter(tags=["operations"])

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters and a latency histogram, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets = [0] * len(BUCKETS)
        self.count = 0
        self.total = 0.0
        self.errors = 0
        self.broken = 0

    def observe(self, method: str, route: str, status: int, seconds: float, *, broken: bool) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            self.count += 1
            self.total += seconds
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[i] += 1
            if status >= 500:
                self.errors += 1
            if broken:
                self.broken += 1

    def render(self, pool_stats: Any, idle_workers: int) -> str:
        with self._lock:
            lines = [
                "# HELP kg_http_requests_total HTTP requests by method, route and status.",
                "# TYPE kg_http_requests_total counter",
            ]
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'kg_http_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}')
            lines += [
                "# HELP kg_http_request_duration_seconds Time from request to last byte.",
                "# TYPE kg_http_request_duration_seconds histogram",
            ]
            for bound, n in zip(BUCKETS, self.buckets, strict=True):
                lines.append(f'kg_http_request_duration_seconds_bucket{{le="{bound}"}} {n}')
            lines += [
                f'kg_http_request_duration_seconds_bucket{{le="+Inf"}} {self.count}',
                f"kg_http_request_duration_seconds_sum {self.total:.6f}",
                f"kg_http_request_duration_seconds_count {self.count}",
                "# HELP kg_http_errors_total Responses with a 5xx status.",
                "# TYPE kg_http_errors_total counter",
                f"kg_http_errors_total {self.errors}",
                "# HELP kg_http_broken_bodies_total Responses whose body was cut after it began.",
                "# TYPE kg_http_broken_bodies_total counter",
                f"kg_http_broken_bodies_total {self.broken}",
            ]
        lines += [
            "# HELP kg_query_timeouts_total Queries stopped at the time limit (or waiting for a worker).",
            "# TYPE kg_query_timeouts_total counter",
            f"kg_query_timeouts_total {pool_stats.timeouts}",
            "# HELP kg_query_workers_killed_total Query workers killed (timeout or abandoned stream).",
            "# TYPE kg_query_workers_killed_total counter",
            f"kg_query_workers_killed_total {pool_stats.killed}",
            "# HELP kg_queries_in_process_total Queries proven fast on this store generation, run in the server "
            "process (no worker hop).",
            "# TYPE kg_queries_in_process_total counter",
            f"kg_queries_in_process_total {pool_stats.in_process}",
            "# HELP kg_query_workers_idle Query workers started and waiting for a query.",
            "# TYPE kg_query_workers_idle gauge",
            f"kg_query_workers_idle {idle_workers}",
        ]
        return "\n".join(lines) + "\n"


class AccessLogMiddleware:
    """Times every request to its last byte, logs one JSON line and feeds :class:`Metrics`."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        sent = 0

        async def sending(message: Any) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        broken = False
        try:
            await self.app(scope, receive, sending)
        except BaseException:
            broken = True
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            log_access(self.metrics, scope, status, time.perf_counter() - start, sent, broken=broken, route=route)


def log_access(
    metrics: Metrics, scope: Any, status: int, seconds: float, sent: int, *, broken: bool, route: str | None = None
) -> None:
    """Count a finished request and write its access-log line (JSON)."""
    if route is None:
        route = "/static" if scope["path"].startswith("/static") else scope["path"] if scope["path"] == "/sparql" \
            else "other"
    metrics.observe(scope["method"], route, status, seconds, broken=broken)
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(json.dumps({
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "ms": round(seconds * 1000, 2),
            "bytes": sent,
            "broken": broken,
            "client": (scope.get("client") or ("", 0))[0],
        }))


@router.get("/health", summary="Ready once the store is open")
def health(request: Request) -> Response:
    state = getattr(request.state, "kg", None)
    if state is None or not state.ready:
        return JSONResponse({"status": "starting"}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "store": str(state.store.path),
            "writable": state.writable,
            "workers": state.pool.size,
            "pid": os.getpid(),
        }
    )


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
def metrics(request: Request) -> PlainTextResponse:
    state = request.state.kg
    return PlainTextResponse(
        request.app.state.metrics.render(state.pool.stats, state.pool.idle()),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
