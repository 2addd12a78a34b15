"""Dereferenceable IRIs: every IRI the graph mints under ``settings.base_iri`` resolves at the server
path that follows the base (``<BASE>paper/2307.09288`` at ``/paper/2307.09288``), whatever the base.

Content negotiation (``Vary: Accept``, or ``?format=ttl|nt|jsonld|rdfxml|html``): Turtle (default),
N-Triples, JSON-LD compacted with the published ``/context.jsonld``, RDF/XML, and an HTML page for a
browser. The RDF is the resource's concise bounded description (Oxigraph's DESCRIBE: its triples,
recursing into blank nodes; a paper's authorship nodes count as its own, as blank nodes would) plus
the labels of the resources it links to. A named graph's IRI gives the graph's triples. Unknown IRIs
are a 404. The route is a catch-all included after every other router, so it only sees what they do not.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Annotated
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from kg.ontology import jsonld_context
from kg.server import lookup, negotiation
from kg.server import resource_pages as html
from kg.server.state import ServerState, get_state
from kg.server.streaming import ResultResponse
from kg.server.workers import QueryFailed, Task
from kg.vocab import DCTERMS, FOAF, PREFIXES, RDFS, SKOS, IriScheme, parse_arxiv_id

router = APIRouter(tags=["linked data"])

TURTLE, N_TRIPLES, JSON_LD, RDF_XML, HTML = (
    negotiation.TURTLE, negotiation.N_TRIPLES, negotiation.JSON_LD, negotiation.RDF_XML, negotiation.HTML
)
#: What a resource IRI offers, the first being the default (``*/*``, no Accept).
DOCUMENT_TYPES = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML, HTML)
FORMAT_NAMES = {
    "ttl": TURTLE, "turtle": TURTLE, "nt": N_TRIPLES, "ntriples": N_TRIPLES, "jsonld": JSON_LD,
    "json-ld": JSON_LD, "json": JSON_LD, "rdfxml": RDF_XML, "rdf": RDF_XML, "xml": RDF_XML, "html": HTML,
}
OX_FORMATS = {TURTLE: ox.RdfFormat.TURTLE, N_TRIPLES: ox.RdfFormat.N_TRIPLES, RDF_XML: ox.RdfFormat.RDF_XML}
CONTENT_TYPES = {TURTLE: "text/turtle; charset=utf-8", N_TRIPLES: "application/n-triples; charset=utf-8",
                 JSON_LD: "application/ld+json", RDF_XML: "application/rdf+xml", HTML: "text/html; charset=utf-8"}
JSONLD_COMPACT_LIMIT = 20_000  # triples compacted with the published context; beyond, Oxigraph's JSON-LD
LABELS = (DCTERMS.title, FOAF.name, SKOS.prefLabel, RDFS.label)


# --- the IRI of a request ------------------------------------------------------------------------

_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_IRI_UNSAFE = re.compile(r"[\x00-\x20<>\"{}|^`\\]")


def _decode_run(match: re.Match[str]) -> str:
    """Percent-escapes of non-ASCII UTF-8 become the characters an IRI holds; ASCII escapes stay escapes."""
    data = bytes.fromhex(match.group(0).replace("%", ""))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return match.group(0).upper()
    return "".join(c if ord(c) > 0x7F else f"%{ord(c):02X}" for c in text)


def iri_of_path(base: str, raw_path: str) -> str:
    """The IRI a request path stands for: the base followed by the path (the URI mapped back to an IRI).

    >>> iri_of_path("https://w3id.org/arxiv-kg/", "/person/aur%C3%A9lien-rodriguez")
    'https://w3id.org/arxiv-kg/person/aurélien-rodriguez'
    >>> iri_of_path("http://example.org/kg/", "/paper/hep-th/9901001")
    'http://example.org/kg/paper/hep-th/9901001'
    """
    path = _PERCENT_RUN.sub(_decode_run, raw_path.lstrip("/"))
    path = _IRI_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), path)
    return base + path


def request_iri(request: Request, base: str) -> str:
    raw = request.scope.get("raw_path")
    path = raw.decode("utf-8", errors="replace").split("?", 1)[0] if raw else request.url.path
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return iri_of_path(base, path)


def local_path(iri: str, base: str) -> str | None:
    """The server path of an IRI under the base (``None`` for other IRIs)."""
    return "/" + iri[len(base):] if iri.startswith(base) else None


# --- negotiation ---------------------------------------------------------------------------------


def choose_type(request: Request, offered: tuple[str, ...] = DOCUMENT_TYPES) -> str:
    """The media type for a document: ``?format=`` wins, then Accept with q-values (406 for neither)."""
    name = request.query_params.get("format")
    if name:
        media = FORMAT_NAMES.get(name.strip().lower(), name.strip().lower())
        if media not in offered:
            raise HTTPException(406, f"format={name} is not offered here (try {', '.join(FORMAT_NAMES)})")
        return media
    try:
        return negotiation.choose(request.headers.get("accept"), offered, aliases=negotiation.RDF_ALIASES)
    except negotiation.NotAcceptable as err:
        raise HTTPException(406, str(err)) from None


def _etag(state: ServerState, iri: str, media: str) -> str:
    key = repr((state.etag(), iri, media)).encode("utf-8")
    return f'W/"{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


# --- the description -----------------------------------------------------------------------------


def _labels_query(iri: str) -> str:
    # FILTER IN after the pattern, not VALUES before it: VALUES first makes Oxigraph scan every label.
    labels = ", ".join(f"<{p}>" for p in LABELS)
    return f"""CONSTRUCT {{ ?o ?lp ?label . ?own ?op ?oo . ?author foaf:name ?name }} WHERE {{
  {{ <{iri}> ?p ?o FILTER isIRI(?o) ?o ?lp ?label FILTER(?lp IN ({labels})) }}
  UNION {{ <{iri}> kg:authorship ?own . ?own ?op ?oo }}
  UNION {{ <{iri}> kg:authorship ?own2 . ?own2 kg:author ?author . ?author foaf:name ?name }}
}}"""


async def describe(state: ServerState, iri: str) -> list[ox.Triple]:
    """The resource's CBD plus its own authorship nodes and the labels of what it links to (sorted)."""
    cbd, extra = await asyncio.gather(
        lookup.triples(state, f"DESCRIBE <{iri}>"), lookup.triples(state, _labels_query(iri))
    )
    if not cbd:
        return []
    return sorted(set(cbd) | set(extra), key=lambda t: (t.subject.value != iri, str(t.subject), str(t.predicate),
                                                     str(t.object)))


def serialize(triples: list[ox.Triple], media: str) -> bytes:
    """The triples in ``media``; JSON-LD compacted with the published context (short keys)."""
    if media == JSON_LD and len(triples) <= JSONLD_COMPACT_LIMIT:
        import rdflib

        graph = rdflib.Graph(bind_namespaces="none")
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
        graph.parse(data=data.decode("utf-8"), format="nt")
        text = graph.serialize(format="json-ld", context=jsonld_context()["@context"], auto_compact=True)
        return text.encode("utf-8")
    # Beyond the limit (a big shared graph), rdflib's compaction is too slow: Oxigraph's JSON-LD, prefixed.
    prefixes = PREFIXES if media != N_TRIPLES else None
    return ox.serialize(triples, format=OX_FORMATS.get(media, ox.RdfFormat.JSON_LD), prefixes=prefixes)


async def _stream_graph(state: ServerState, graph: str, media: str, headers: dict[str, str]) -> Response:
    task = Task(kind="graph", generation=state.generation(), graph=graph, format=media)
    try:
        _, body = await state.pool.submit(task, state.settings.query_timeout_s)
    except QueryFailed as err:
        raise HTTPException(err.status, err.message) from None
    if isinstance(body, bytes):
        return Response(body, media_type=CONTENT_TYPES[media], headers=headers)
    return ResultResponse(body, media_type=CONTENT_TYPES[media], headers=headers)


# --- the route -----------------------------------------------------------------------------------


def _paper_redirect(iris: IriScheme, iri: str) -> str | None:
    """A versioned paper IRI (``paper/2307.09288v2``) redirects to the versionless paper."""
    prefix = iris.base + "paper/"
    if not iri.startswith(prefix):
        return None
    rest = iri[len(prefix):]
    versionless = parse_arxiv_id(rest)
    return local_path(iris.paper(versionless), iris.base) if versionless and versionless != rest else None


@router.api_route("/{path:path}", methods=["GET", "HEAD"], summary="Dereference an IRI of the graph",
                  response_class=Response)
async def resource(path: str, request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    iris = IriScheme(state.settings.base_iri)
    iri = request_iri(request, iris.base)
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise HTTPException(404, f"<{iri}> is not an IRI this server knows") from None
    media = choose_type(request)
    redirect = _paper_redirect(iris, iri)
    if redirect:
        return RedirectResponse(redirect + (f"?{request.url.query}" if request.url.query else ""), status_code=301)
    etag = _etag(state, iri, media)
    headers = {"Vary": "Accept", "ETag": etag, "Last-Modified": state.last_modified_header()}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    triples = await describe(state, iri)
    graph = None
    if not triples:
        if not await lookup.ask(state, f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"):
            if media == HTML:
                return HTMLResponse(html.not_found(iri), status_code=404, headers={"Vary": "Accept"})
            raise HTTPException(404, f"nothing is known about <{iri}>")
        graph = iri
    if media == HTML:
        page = await html.render(state, iris, iri, triples, graph=graph, request=request)
        return HTMLResponse(page, headers=headers)
    if graph is not None:
        if media != JSON_LD:  # streamed by a query worker, whatever the size of the graph
            return await _stream_graph(state, graph, media, headers)
        triples = await lookup.graph_triples(state, graph)
    body = await run_in_threadpool(serialize, triples, media)
    return Response(body, media_type=CONTENT_TYPES[media], headers=headers)

