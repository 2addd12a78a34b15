"""The app factory: ``create_app(settings)`` assembles routers and middleware; the lifespan opens the
store (writable only when updates are enabled, or to create an empty one) and the query workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from kg.federation import Federation
from kg.server import graph_store, ops, pages, published, resources, sparql
from kg.server.admission import AdmissionControl
from kg.server.fastpath import QueryFastPath
from kg.server.state import ServerState
from kg.server.workers import QueryPool
from kg.settings import Settings
from kg.store import StoreDirectory

log = logging.getLogger(__name__)

DESCRIPTION = """\
A SPARQL 1.1 endpoint over the arxiv-kg knowledge graph: the SPARQL 1.1 Protocol at `/sparql`
(query by GET or POST; update by POST with `Authorization: Bearer <KG_UPDATE_TOKEN>`), the Graph
Store HTTP Protocol at `/store`, the query UI at `/`. Without `default-graph-uri`/`named-graph-uri`
the default graph is the union of all graphs."""


def _open(settings: Settings) -> ServerState:
    directory = StoreDirectory(settings.store)
    writable = settings.update_token is not None or not directory.exists()
    store = directory.open_or_create() if writable else directory.open(read_only=True)
    pool = QueryPool(settings.store, settings.query_workers, settings)
    return ServerState(
        settings=settings, directory=directory, store=store, pool=pool, writable=writable,
        federation=Federation(settings),
    )


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app serving the store named by ``settings.store``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        state = await run_in_threadpool(_open, settings)
        log.info("serving %s (%s, %d query workers)", state.store.path,
                 "updates on" if state.settings.update_token else "read-only", state.pool.size)
        try:
            yield {"kg": state}
        finally:
            state.ready = False
            await run_in_threadpool(state.pool.close)
            state.store.close()

    app = FastAPI(
        title="arxiv-kg SPARQL endpoint",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.metrics = ops.Metrics()
    app.state.settings = settings
    for router in (sparql.router, graph_store.router, pages.router, ops.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    # Linked data last: the resource router is a catch-all for the IRIs under the base.
    app.include_router(published.router)
    app.include_router(resources.router)

    @app.exception_handler(HTTPException)
    async def plain_error(request: Request, exc: HTTPException) -> PlainTextResponse:
        return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> PlainTextResponse:
        return PlainTextResponse(f"bad request: {exc.errors()}\n", status_code=400)

    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"], expose_headers=["ETag", "Last-Modified", "Location"],
    )
    app.add_middleware(ops.AccessLogMiddleware, metrics=app.state.metrics)
    return app



def serving_app(settings: Settings) -> AdmissionControl:
    """What uvicorn serves: admission control, then the lean path for plain ``GET /sparql`` queries."""
    app = create_app(settings)
    return AdmissionControl(QueryFastPath(app, app.state.metrics), settings, app.state.metrics)
