"""Documents the server publishes beside the graph: the ontology at its namespace (``/ontology``,
Turtle or the HTML reference page), the JSON-LD context, the SHACL shapes, the VoID description at
``/.well-known/void`` and the whole store as gzipped N-Quads at ``/dump.nq.gz``."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from kg import ontology
from kg.server.resources import CONTENT_TYPES, HTML, JSON_LD, N_TRIPLES, RDF_XML, TURTLE, choose_type, serialize
from kg.server.state import ServerState, get_state
from kg.void import void_triples

router = APIRouter(tags=["published documents"])

ONTOLOGY_TYPES = (TURTLE, HTML, JSON_LD, N_TRIPLES, RDF_XML)
VOID_TYPES = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
DUMP_BATCH = 5_000  # quads serialized and compressed at a time
DUMP_LEVEL = 6


@lru_cache(maxsize=1)
def _ontology_triples() -> list[ox.Triple]:
    return [q.triple for q in ox.parse(ontology.ontology_turtle(), ox.RdfFormat.TURTLE)]


@lru_cache(maxsize=8)
def _ontology_document(media: str) -> bytes:
    if media == TURTLE:
        return ontology.ontology_turtle().encode("utf-8")
    if media == HTML:
        return ontology.render_html(turtle_href="/ontology?format=ttl", context_href="/context.jsonld").encode("utf-8")
    return serialize(_ontology_triples(), media)


@router.get("/ontology", summary="The ontology (Turtle for RDF clients, the reference page for a browser)")
@router.get("/ontology/{version}", summary="A version of the ontology (its owl:versionIRI)")
async def ontology_document(request: Request) -> Response:
    media = choose_type(request, ONTOLOGY_TYPES)
    body = await run_in_threadpool(_ontology_document, media)
    return Response(body, media_type=CONTENT_TYPES[media], headers={"Vary": "Accept"})


@router.get("/context.jsonld", summary="The JSON-LD @context with short keys (title, authors, cites, ...)")
def context_document() -> JSONResponse:
    return JSONResponse(ontology.jsonld_context(), media_type="application/ld+json")


@router.get("/shapes.ttl", summary="The SHACL shapes of a well-formed graph")
def shapes_document() -> Response:
    return Response(ontology.shapes_path().read_bytes(), media_type=CONTENT_TYPES[TURTLE])


# --- VoID ----------------------------------------------------------------------------------------


class _VoidCache:
    """The VoID triples of one store generation: counting scans the store, so it runs once per version."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: Any = None
        self.triples: list[ox.Triple] = []

    def get(self, state: ServerState) -> list[ox.Triple]:
        with self.lock:
            key = state.generation()
            if key != self.key:
                described = void_triples(state.store, state.settings, state.directory.build_info())
                text = "".join(f"{s} {p} {o} .\n" for s, p, o in described)
                self.triples = [q.triple for q in ox.parse(text, ox.RdfFormat.N_TRIPLES)]
                self.key = key
            return self.triples


def _void_cache(state: ServerState) -> _VoidCache:
    cache = getattr(state, "_void_cache", None)
    if cache is None:
        cache = _VoidCache()
        state._void_cache = cache  # type: ignore[attr-defined]
    return cache


@router.get("/.well-known/void", summary="The VoID + PROV description of the dataset")
async def void_document(request: Request, state: Annotated[ServerState, Depends(get_state)]) -> Response:
    media = choose_type(request, VOID_TYPES)
    cache = _void_cache(state)
    # The counts are full scans of the store: a thread, never the event loop; cached per store version.
    triples = await run_in_threadpool(cache.get, state)
    body = await run_in_threadpool(serialize, triples, media)
    return Response(body, media_type=CONTENT_TYPES[media],
                    headers={"Vary": "Accept", "Last-Modified": state.last_modified_header()})


# --- the dump ------------------------------------------------------------------------------------


def gzip_nquads(quads: Iterator[ox.Quad], *, batch: int = DUMP_BATCH, level: int = DUMP_LEVEL) -> Iterator[bytes]:
    """The quads as gzipped N-Quads, compressed a batch at a time (memory does not grow with the store).

    >>> import gzip
    >>> q = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o"), ox.NamedNode("http://x/g"))
    >>> gzip.decompress(b"".join(gzip_nquads(iter([q]))))
    b'<http://x/s> <http://x/p> "o" <http://x/g> .\\n'
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    while True:
        chunk = list(islice(quads, batch))
        if not chunk:
            break
        out = compressor.compress(ox.serialize(chunk, format=ox.RdfFormat.N_QUADS))
        if out:
            yield out
    yield compressor.flush()


@router.get("/dump.nq.gz", summary="The whole store as gzipped N-Quads, streamed")
def dump(state: Annotated[ServerState, Depends(get_state)]) -> StreamingResponse:
    # A sync generator: Starlette pulls each piece in its thread pool, off the event loop.
    quads = iter(state.store.raw)
    return StreamingResponse(
        gzip_nquads(quads), media_type="application/gzip",
        headers={"Content-Disposition": 'attachment; filename="dump.nq.gz"', "ETag": state.etag(),
                 "Last-Modified": state.last_modified_header()},
    )

