"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``: ``?graph=IRI``, ``?default``, and graphs
identified directly by their URL (``/store/<path>``). GET and HEAD for everyone; PUT, POST and
DELETE with the update token. POST accepts ``multipart/form-data`` (one RDF document per part)."""

from __future__ import annotations

import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.errors import QueryError
from kg.server import negotiation, results
from kg.server.audit import log_write
from kg.server.security import has_token, require_update_token
from kg.server.state import ServerState, get_state
from kg.server.streaming import ResultResponse
from kg.server.workers import QueryFailed, Task
from kg.store import iri_problem

router = APIRouter(tags=["Graph Store Protocol"])
RDF_BODY_TYPES = (*negotiation.GRAPH_TYPES, "application/x-turtle", "text/n3", "application/xml", "text/plain")


def _target(request: Request, path: str | None) -> tuple[str | None, bool]:
    """The graph a request names (``None``: the default graph) and whether it named one at all."""
    params = request.query_params
    if path:
        if "graph" in params or "default" in params:
            raise HTTPException(400, "name the graph by the URL or by ?graph= / ?default, not both")
        iri = str(request.url.replace(query="", fragment=""))
        problem = iri_problem(iri)
        if problem is not None:
            raise HTTPException(400, f"the URL does not name a graph: it is not a valid IRI ({problem})")
        return iri, True
    if "graph" in params and "default" in params:
        raise HTTPException(400, "?graph= and ?default cannot be combined")
    graphs = params.getlist("graph")
    if len(graphs) > 1:
        raise HTTPException(400, "give one ?graph= parameter")
    if graphs:
        if not graphs[0]:
            raise HTTPException(400, "?graph= needs an IRI")
        problem = iri_problem(graphs[0])
        if problem is not None:
            raise HTTPException(400, f"?graph= is not an absolute IRI ({problem}): {graphs[0]!r}")
        return graphs[0], True
    if "default" in params:
        return None, True
    return None, False


def _body_media_type(content_type: str) -> str:
    media = content_type.split(";")[0].strip().lower()
    if media not in RDF_BODY_TYPES and not media.startswith("multipart/form-data"):
        raise HTTPException(415, f"cannot read an RDF body of type {media or '(none)'!r}: "
                                 f"send one of {', '.join(negotiation.GRAPH_TYPES)}")
    return {"application/xml": negotiation.RDF_XML, "text/plain": negotiation.N_TRIPLES}.get(media, media)


def _documents(request: Request, body: bytes) -> list[tuple[bytes, str]]:
    """The RDF documents of a request body: one, or one per part of a multipart form."""
    content_type = request.headers.get("content-type", "")
    media = _body_media_type(content_type)
    if not media.startswith("multipart/form-data"):
        return [(body, media)]
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise HTTPException(400, "the multipart body could not be split into parts")
    documents = []
    for part in message.iter_parts():
        part_type = part.get_content_type()
        documents.append((part.get_payload(decode=True) or b"", _body_media_type(part_type)))
    return documents


async def _read_graph(request: Request, state: ServerState, graph: str | None, head: bool) -> Response:
    accept = request.headers.get("accept")
    fmt = request.query_params.get("format")
    headers = {"ETag": state.etag(), "Last-Modified": state.last_modified_header(), "Vary": "Accept"}
    if head:
        try:
            media_type = negotiation.negotiate("triples", accept, fmt)
        except negotiation.NotAcceptable as err:
            raise HTTPException(406, str(err)) from None
        exists = await run_in_threadpool(state.store.has_graph, graph)
        if not exists:
            return Response(status_code=404, headers={"Content-Type": results.content_type(media_type)})
        return Response(headers={**headers, "Content-Type": results.content_type(media_type)})
    if state.etag() in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    anonymous = not has_token(request, state.settings)
    task = Task(kind="graph", generation=state.generation(), accept=accept, format=fmt, graph=graph,
                row_cap=state.settings.max_result_rows if anonymous else None)
    try:
        media_type, stream = await state.pool.submit(task, state.settings.query_timeout_s)
    except QueryFailed as err:
        raise HTTPException(err.status, err.message) from None
    if isinstance(stream, bytes):
        return Response(stream, media_type=results.content_type(media_type), headers=headers)
    return ResultResponse(stream, media_type=results.content_type(media_type), headers=headers)


async def _write(request: Request, state: ServerState, graph: str | None, *, method: str) -> Response:
    require_update_token(request, state.settings)
    log_write(request, f"graph store {method}", f"graph {'default' if graph is None else '<' + graph + '>'}")
    if not state.writable:
        raise HTTPException(403, "this server opened its store read-only")
    base_iri = graph or str(request.url.replace(query="", fragment=""))
    if method == "DELETE":
        def drop() -> bool:
            with state.writing() as store:
                return store.drop_graph(graph)

        if not await run_in_threadpool(drop):
            raise HTTPException(404, f"no graph <{graph}> in this store")
        return Response(status_code=204)
    documents = _documents(request, await request.body())

    def load() -> bool:
        with state.writing() as store:
            created = False
            for index, (data, media) in enumerate(documents):
                replace = method == "PUT" and index == 0
                created = store.load_graph(data, media, graph, replace=replace, base_iri=base_iri) or created
            return created

    try:
        created = await run_in_threadpool(load)
    except QueryError as err:
        raise HTTPException(400, str(err)) from None
    except ValueError as err:
        raise HTTPException(415, str(err)) from None
    return Response(status_code=201 if created else 204)


async def _handle(request: Request, state: ServerState, path: str | None) -> Response:
    method = request.method
    graph, named = _target(request, path)
    if method in ("GET", "HEAD"):
        if not named:
            raise HTTPException(400, "name a graph: ?graph=IRI, ?default, or /store/<path>")
        return await _read_graph(request, state, graph, method == "HEAD")
    if method == "POST" and not named:
        # POST to the store itself creates a new graph and answers with its IRI.
        graph = f"{str(request.url.replace(query='', fragment='')).rstrip('/')}/{uuid.uuid4().hex}"
        response = await _write(request, state, graph, method="POST")
        response.status_code = 201
        response.headers["Location"] = graph
        return response
    if not named:
        raise HTTPException(400, "name a graph: ?graph=IRI, ?default, or /store/<path>")
    return await _write(request, state, graph, method=method)


METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


@router.api_route("/store", methods=METHODS, summary="Graph Store Protocol, indirect identification",
                  description="`?graph=IRI` or `?default`; POST without either creates a graph (201 + Location).")
async def store_indirect(request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    return await _handle(request, state, None)


@router.api_route("/store/{path:path}", methods=METHODS, summary="Graph Store Protocol, direct identification",
                  description="The graph named by this URL.")
async def store_direct(path: str, request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    return await _handle(request, state, path)
