"""The SPARQL 1.1 Protocol at ``/sparql``: queries by GET, form POST and direct POST, updates by POST
with the token, the Service Description (or the query UI for a browser) on a GET without a query."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.errors import FederationError, FederationRefused, FederationRemoteError, QueryError
from kg.server import negotiation, results
from kg.server.audit import log_write
from kg.server.pages import ui_page
from kg.server.security import require_update_token, token_matches
from kg.server.service_description import service_description
from kg.server.state import ServerState, get_state
from kg.server.streaming import ResultResponse
from kg.server.update_dataset import DatasetConflict, apply_dataset
from kg.server.workers import QueryFailed, ResultStream, Task

router = APIRouter(tags=["SPARQL 1.1 Protocol"])

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

QUERY_DOC = {
    "parameters": [
        {"name": "query", "in": "query", "schema": {"type": "string"}, "description": "the SPARQL query"},
        {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "format", "in": "query", "schema": {"type": "string"}, "description": "json, xml, csv, tsv, "
         "turtle, nt, nq, trig, jsonld, rdfxml or a media type; overrides Accept"},
    ]
}


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise HTTPException(400, f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _media_type(request: Request) -> tuple[str, str | None]:
    """The request body's media type and charset."""
    header = request.headers.get("content-type", "")
    media, *params = (p.strip() for p in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _decode(body: bytes, charset: str | None, what: str) -> str:
    if charset not in (None, "utf-8", "utf8"):
        raise HTTPException(415, f"the {what} must be sent as UTF-8 (got charset={charset})")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise HTTPException(400, f"the {what} is not valid UTF-8: {err}") from err


@router.get("/sparql", summary="Query by GET, or the Service Description / query UI", openapi_extra=QUERY_DOC)
async def sparql_get(request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    params = request.query_params
    if "update" in params:
        raise HTTPException(405, "SPARQL Update is never accepted by GET: POST it with the token",
                            headers={"Allow": "POST"})
    query = _one(params.getlist("query"), "query")
    if query is None:
        accept = request.headers.get("accept")
        if negotiation.is_browser(accept) and "format" not in params:
            return ui_page(state.settings)
        return service_description(request, state)
    return await _query(request, state, query, dataset_from(params.getlist))


@router.post("/sparql", summary="Query or update by POST (form or direct body)", openapi_extra=QUERY_DOC)
async def sparql_post(request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    media, charset = _media_type(request)
    body = await request.body()
    url_params = request.query_params
    if media == FORM:
        form = parse_qs(_decode(body, charset, "form"), keep_blank_values=True)
        queries, updates = form.get("query", []), form.get("update", [])
        if queries and updates:
            raise HTTPException(400, "a request carries either 'query' or 'update', not both")
        if not queries and not updates:
            raise HTTPException(400, "the form has neither a 'query' nor an 'update' field")

        def values(name: str) -> list[str]:
            return url_params.getlist(name) + form.get(name, [])

        if queries:
            return await _query(request, state, _one(queries, "query") or "", dataset_from(values))
        return await _update(request, state, _one(updates, "update") or "", values)
    if media == SPARQL_QUERY:
        return await _query(request, state, _decode(body, charset, "query"), dataset_from(url_params.getlist))
    if media == SPARQL_UPDATE:
        return await _update(request, state, _decode(body, charset, "update"), url_params.getlist)
    raise HTTPException(
        415,
        f"cannot take a body of type {media or '(none)'!r}: send {FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}",
    )


def dataset_from(values) -> dict[str, list[str] | None]:  # type: ignore[no-untyped-def]
    """The protocol's dataset: named graphs alone leave the default graph empty, nothing gives the union."""
    default, named = values("default-graph-uri"), values("named-graph-uri")
    return {
        "default_graph": default or ([] if named else None),
        "named_graphs": named or None,
        "format": (values("format") or [None])[0],
    }


def _endpoint_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment="")).rstrip("?")


@dataclass(frozen=True)
class Answer:
    """What a query gets: a status, headers and a body (whole, streaming, or none for a 304)."""

    status: int
    headers: dict[str, str]
    media_type: str | None = None
    body: bytes | ResultStream | None = None


async def answer_query(
    state: ServerState,
    query: str,
    dataset: dict,  # type: ignore[type-arg]
    *,
    accept: str | None,
    authorization: str | None,
    if_none_match: str | None,
    base_iri: str,
) -> Answer:
    """Run a query for any caller (a route, the fast path); raises :class:`QueryFailed` for an HTTP error."""
    settings = state.settings
    if len(query) > settings.max_query_length:
        raise QueryFailed(413, f"the query is {len(query)} characters long; the limit is {settings.max_query_length}")
    if not query.strip():
        raise QueryFailed(400, "the query is empty")
    anonymous = not token_matches(authorization, settings)
    etag = _etag(state, query, accept, dataset, anonymous)
    headers = {"ETag": etag, "Last-Modified": state.last_modified_header(), "Vary": "Accept, Accept-Encoding"}
    if if_none_match and etag in if_none_match:
        return Answer(304, headers)
    task = Task(
        kind="query",
        generation=state.generation(),
        text=query,
        accept=accept,
        format=dataset["format"],
        default_graph=dataset["default_graph"],
        named_graphs=dataset["named_graphs"],
        base_iri=base_iri,
        row_cap=settings.max_result_rows if anonymous else None,
    )
    media_type, body = await state.pool.submit(task, settings.query_timeout_s)
    return Answer(200, headers, results.content_type(media_type), body)


async def _query(request: Request, state: ServerState, query: str, dataset: dict) -> Response:  # type: ignore[type-arg]
    headers = request.headers
    try:
        answer = await answer_query(
            state, query, dataset, accept=headers.get("accept"), authorization=headers.get("authorization"),
            if_none_match=headers.get("if-none-match"), base_iri=_endpoint_url(request),
        )
    except QueryFailed as err:
        raise HTTPException(err.status, err.message) from None
    if answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    if isinstance(answer.body, bytes):
        return Response(answer.body, media_type=answer.media_type, headers=answer.headers)
    return ResultResponse(answer.body, media_type=answer.media_type, headers=answer.headers)


def _etag(state: ServerState, query: str, accept: str | None, dataset: dict, anonymous: bool) -> str:  # type: ignore[type-arg]
    key = repr((state.etag(), query, accept, sorted(dataset.items(), key=str), anonymous)).encode("utf-8")
    return f'W/"{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


async def _update(request: Request, state: ServerState, update: str, values) -> Response:  # type: ignore[no-untyped-def]
    settings = state.settings
    require_update_token(request, settings)
    if not state.writable:
        raise HTTPException(403, "this server opened its store read-only")
    if len(update) > settings.max_query_length:
        raise HTTPException(
            413, f"the update is {len(update)} characters long; the limit is {settings.max_query_length}"
        )
    try:
        text = apply_dataset(update, values("using-graph-uri"), values("using-named-graph-uri"))
    except DatasetConflict as err:
        raise HTTPException(400, str(err)) from None
    base_iri = _endpoint_url(request)
    log_write(request, "update", update)

    def run() -> None:
        with state.writing() as store:
            # SERVICE and LOAD in an update are checked against the allowlist and fetched by our client.
            state.federation.execute_update(store, text, base_iri=base_iri)

    try:
        await run_in_threadpool(run)
    except FederationRefused as err:
        raise HTTPException(403, str(err)) from None
    except FederationRemoteError as err:
        raise HTTPException(502, str(err)) from None
    except (QueryError, FederationError) as err:
        raise HTTPException(400, str(err)) from None
    except (ValueError, OSError) as err:
        raise HTTPException(400, f"the update failed: {err}") from None
    return Response(status_code=204)
