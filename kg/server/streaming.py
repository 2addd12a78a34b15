"""The response that carries a running query's body: it gives the worker back (or kills it) as soon
as the response ends, whether the body was complete, cut by an error, or the client went away."""

from __future__ import annotations

from typing import Any

from starlette.responses import StreamingResponse

from kg.server.workers import ResultStream


class ResultResponse(StreamingResponse):
    """A streaming response over a :class:`ResultStream` that always closes the stream."""

    def __init__(self, stream: ResultStream, **kwargs: Any) -> None:
        super().__init__(stream, **kwargs)
        self.stream = stream

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A no-op when the body was complete; otherwise the worker may still be computing: kill it.
            self.stream.close()
