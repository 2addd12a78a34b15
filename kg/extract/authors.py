"""Authors: creators, their order as authorship nodes, and the people themselves (shared graph)."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Paper
from kg.vocab import DCTERMS, FOAF, KG, PEOPLE_GRAPH, RDF, XSD, IriScheme, normalize_name

_TYPE = iri(RDF.type)


def author_quads(paper: Paper, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.paper(paper.arxiv_id))
    g = iri(iris.paper_graph(paper.arxiv_id))
    people = iri(iris.shared_graph(PEOPLE_GRAPH))
    for position, name in enumerate(paper.authors, start=1):
        person = iri(iris.person(name))
        authorship = iri(iris.authorship(paper.arxiv_id, position))
        yield Quad(s, iri(DCTERMS.creator), person, g)
        yield Quad(s, iri(KG.authorship), authorship, g)
        yield Quad(authorship, _TYPE, iri(KG.Authorship), g)
        yield Quad(authorship, iri(KG.position), literal(str(position), datatype=XSD.positiveInteger), g)
        yield Quad(authorship, iri(KG.author), person, g)
        yield Quad(person, _TYPE, iri(FOAF.Person), people)
        yield Quad(person, iri(FOAF.name), literal(normalize_name(name)), people)


EXTRACTOR = Extractor(
    name="authors",
    reads=frozenset({"arxiv_id", "authors"}),
    emits=frozenset({DCTERMS.creator, KG.authorship, RDF.type, KG.position, KG.author, FOAF.name}),
    extract=author_quads,
)
