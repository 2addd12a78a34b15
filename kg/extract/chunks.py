"""Text chunks: each a NIF context holding its exact text, part of its paper."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Chunk
from kg.vocab import DCTERMS, KG, NIF, RDF, XSD, IriScheme


def chunk_quads(chunk: Chunk, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.chunk(chunk.arxiv_id, chunk.index))
    g = iri(iris.paper_graph(chunk.arxiv_id))
    yield Quad(s, iri(RDF.type), iri(KG.Chunk), g)
    yield Quad(s, iri(DCTERMS.isPartOf), iri(iris.paper(chunk.arxiv_id)), g)
    yield Quad(s, iri(KG.chunkIndex), literal(str(chunk.index), datatype=XSD.integer), g)
    yield Quad(s, iri(NIF.isString), literal(chunk.text), g)


EXTRACTOR = Extractor(
    name="chunks",
    reads=frozenset({"arxiv_id", "index", "text"}),
    emits=frozenset({RDF.type, DCTERMS.isPartOf, KG.chunkIndex, NIF.isString}),
    extract=chunk_quads,
)
