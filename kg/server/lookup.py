"""Internal queries of the linked-data pages, run through the query workers like any ``/sparql`` query
(so they obey the timeout and never run on the event loop): SELECT rows as dicts, CONSTRUCT and
DESCRIBE results as pyoxigraph triples."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from kg.server.state import ServerState
from kg.server.workers import QueryFailed, StreamBroken, Task
from kg.vocab import PREFIXES

PREFIX_HEADER = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

Row = dict[str, dict[str, Any]]


async def _run(state: ServerState, task: Task) -> bytes:
    try:
        _, body = await state.pool.submit(task, state.settings.query_timeout_s)
    except QueryFailed as err:
        # Our own queries are well-formed: a 4xx here is a bug, a 503 a timeout or a busy pool.
        raise HTTPException(503 if err.status == 503 else 500, err.message) from None
    if isinstance(body, bytes):
        return body
    try:
        return await run_in_threadpool(lambda: b"".join(body))
    except StreamBroken as err:
        raise HTTPException(503, str(err)) from None


async def select(state: ServerState, query: str) -> list[Row]:
    """The rows of a SELECT (prefixes of :mod:`kg.vocab` declared) as SPARQL JSON bindings."""
    task = Task(kind="query", generation=state.generation(), text=PREFIX_HEADER + query, format="json")
    body = await _run(state, task)
    return json.loads(body)["results"]["bindings"]


async def ask(state: ServerState, query: str) -> bool:
    task = Task(kind="query", generation=state.generation(), text=PREFIX_HEADER + query, format="json")
    return bool(json.loads(await _run(state, task))["boolean"])


async def triples(state: ServerState, query: str) -> list[ox.Triple]:
    """The triples of a CONSTRUCT or DESCRIBE."""
    task = Task(kind="query", generation=state.generation(), text=PREFIX_HEADER + query, format="nt")
    body = await _run(state, task)
    return [quad.triple for quad in ox.parse(body, ox.RdfFormat.N_TRIPLES)]


async def graph_triples(state: ServerState, graph: str) -> list[ox.Triple]:
    """The triples of one named graph (an HTTP 404 if there is no such graph)."""
    task = Task(kind="graph", generation=state.generation(), graph=graph, format="nt")
    try:
        _, body = await state.pool.submit(task, state.settings.query_timeout_s)
    except QueryFailed as err:
        raise HTTPException(err.status, err.message) from None
    if not isinstance(body, bytes):
        stream = body
        body = await run_in_threadpool(lambda: b"".join(stream))
    return [quad.triple for quad in ox.parse(body, ox.RdfFormat.N_TRIPLES)]


def value(row: Row, name: str, default: Any = None) -> Any:
    """The plain value of a binding (integers and booleans converted), or ``default`` when unbound."""
    term = row.get(name)
    if term is None:
        return default
    datatype = term.get("datatype", "")
    text = term["value"]
    if datatype.endswith(("#integer", "#positiveInteger", "#nonNegativeInteger", "#int", "#long")):
        try:
            return int(text)
        except ValueError:
            return text
    if datatype.endswith("#boolean"):
        return text in ("true", "1")
    return text
