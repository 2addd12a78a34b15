"""Text chunks: each a NIF context holding its exact text, part of its paper."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Chunk
from kg.vocab import DCTERMS, KG, NIF, RDF, XSD, IriScheme

_TYPE, _CHUNK, _PART_OF = iri(RDF.type), iri(KG.Chunk), iri(DCTERMS.isPartOf)
_INDEX, _IS_STRING = iri(KG.chunkIndex), iri(NIF.isString)
_INTEGER = XSD.integer


def chunk_quads(chunk: Chunk, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.chunk(chunk.arxiv_id, chunk.index))
    g = iri(iris.paper_graph(chunk.arxiv_id))
    return iter((
        Quad(s, _TYPE, _CHUNK, g),
        Quad(s, _PART_OF, iri(iris.paper(chunk.arxiv_id)), g),
        Quad(s, _INDEX, literal(str(chunk.index), datatype=_INTEGER), g),
        Quad(s, _IS_STRING, literal(chunk.text), g),
    ))


EXTRACTOR = Extractor(
    name="chunks",
    reads=frozenset({"arxiv_id", "index", "text"}),
    emits=frozenset({RDF.type, DCTERMS.isPartOf, KG.chunkIndex, NIF.isString}),
    extract=chunk_quads,
)
