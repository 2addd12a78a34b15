"""The lean path for the commonest request, ``GET /sparql?query=...``: a plain ASGI layer that answers
it without FastAPI's routing and middleware stack (which costs more than the query itself on a
point lookup), with the same rules: negotiation, dataset, token, ETag/304, CORS, gzip, access log.
Anything else (or anything unusual about such a request) goes on to the FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import iterate_in_threadpool

from kg.server.ops import Metrics, log_access
from kg.server.sparql import answer_query, dataset_from
from kg.server.workers import QueryFailed, ResultStream

GZIP_MIN_BYTES = 1000
TAKEN = {"query", "default-graph-uri", "named-graph-uri", "format"}


class QueryFastPath:
    """Wraps the app; answers plain GET queries itself."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (scope["type"] == "http" and scope["path"] == "/sparql" and scope["method"] == "GET"
                and b"query=" in scope["query_string"] and "state" in scope and "kg" in scope["state"]):
            await self.app(scope, receive, send)
            return
        params = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if not set(params) <= TAKEN or len(params.get("query", ())) != 1 or len(params.get("format", ())) > 1:
            await self.app(scope, receive, send)  # errors and unusual requests: the full app says why
            return
        await self._answer(scope, receive, send, params)

    async def _answer(self, scope: Any, receive: Any, send: Any, params: dict[str, list[str]]) -> None:
        start = time.perf_counter()
        state = scope["state"]["kg"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        server = scope.get("server") or ("localhost", 80)
        host = headers.get("host") or f"{server[0]}:{server[1]}"
        extra: dict[str, str] = {}
        if "origin" in headers:
            extra["access-control-allow-origin"] = "*"
            extra["access-control-expose-headers"] = "ETag, Last-Modified, Location"
        status, sent, broken = 500, 0, False
        try:
            try:
                answer = await answer_query(
                    state, params["query"][0], dataset_from(lambda name: params.get(name, [])),
                    accept=headers.get("accept"), authorization=headers.get("authorization"),
                    if_none_match=headers.get("if-none-match"), base_iri=f"{scope['scheme']}://{host}/sparql",
                )
            except QueryFailed as err:
                status = err.status
                body = f"{err.message}\n".encode()
                await _start(send, status, {**extra, "content-type": "text/plain; charset=utf-8",
                                            "content-length": str(len(body))})
                await send({"type": "http.response.body", "body": body})
                sent = len(body)
                return
            status = answer.status
            out = {**answer.headers, **extra}
            if answer.body is None:
                await _start(send, status, out)
                await send({"type": "http.response.body", "body": b""})
                return
            out["content-type"] = answer.media_type or "application/octet-stream"
            compress = "gzip" in headers.get("accept-encoding", "")
            if isinstance(answer.body, bytes):
                body = answer.body
                if compress and len(body) >= GZIP_MIN_BYTES:
                    body = gzip.compress(body, compresslevel=6)
                    out["content-encoding"] = "gzip"
                out["content-length"] = str(len(body))
                await _start(send, status, out)
                await send({"type": "http.response.body", "body": body})
                sent = len(body)
                return
            if compress:
                out["content-encoding"] = "gzip"
            await _start(send, status, out)
            stream = answer.body

            async def body() -> None:
                nonlocal sent
                async for chunk in iterate_in_threadpool(_gzipped(stream) if compress else stream):
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                        sent += len(chunk)
                await send({"type": "http.response.body", "body": b""})

            try:
                broken = not await _until_disconnect(body(), receive, stream)
            except BaseException:
                broken = True
                raise
            finally:
                stream.close()
        finally:
            log_access(self.metrics, scope, status, time.perf_counter() - start, sent, broken=broken)


async def _until_disconnect(body: Any, receive: Any, stream: ResultStream) -> bool:
    """Send the body unless the client leaves first (then stop the query at once); True if complete."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sending, watching = asyncio.ensure_future(body), asyncio.ensure_future(disconnected())
    done, _ = await asyncio.wait({sending, watching}, return_when=asyncio.FIRST_COMPLETED)
    if sending in done:
        watching.cancel()
        sending.result()  # a broken stream raises here
        return True
    stream.close()  # kills the worker: a read waiting on it in a thread returns at once
    sending.cancel()
    with contextlib.suppress(BaseException):
        await sending
    return False


async def _start(send: Any, status: int, headers: dict[str, str]) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
    })


def _gzipped(stream: ResultStream) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in stream:
        yield compressor.compress(chunk)
    yield compressor.flush()
