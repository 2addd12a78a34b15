"""Citations between papers, and stubs for cited papers outside the corpus (shared graph)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Paper
from kg.vocab import CITO, KG, STUBS_GRAPH, IriScheme


def citation_quads(paper: Paper, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.paper(paper.arxiv_id))
    g = iri(iris.paper_graph(paper.arxiv_id))
    for cited in paper.references:
        yield Quad(s, iri(CITO.cites), iri(iris.paper(cited)), g)


def stub_quads(cited_outside: Iterable[str], iris: IriScheme) -> Iterator[Quad]:
    """``kg:arxivId`` for each cited paper that has no graph of its own."""
    g = iri(iris.shared_graph(STUBS_GRAPH))
    for arxiv_id in sorted(cited_outside):
        yield Quad(iri(iris.paper(arxiv_id)), iri(KG.arxivId), literal(arxiv_id), g)


EXTRACTOR = Extractor(
    name="citations",
    reads=frozenset({"arxiv_id", "references"}),
    emits=frozenset({CITO.cites}),
    extract=citation_quads,
)
