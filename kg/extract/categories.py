"""arXiv categories: a paper's subjects, and the whole taxonomy as a SKOS concept scheme (shared graph)."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Paper
from kg.sources.taxonomy import Taxonomy
from kg.vocab import DCTERMS, KG, RDF, RDFS, SKOS, TAXONOMY_GRAPH, IriScheme

_TYPE = iri(RDF.type)


def category_quads(paper: Paper, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.paper(paper.arxiv_id))
    g = iri(iris.paper_graph(paper.arxiv_id))
    for code in paper.categories:
        yield Quad(s, iri(DCTERMS.subject), iri(iris.category(code)), g)
    if paper.primary_category:
        yield Quad(s, iri(KG.primaryCategory), iri(iris.category(paper.primary_category)), g)


def taxonomy_quads(taxonomy: Taxonomy, iris: IriScheme) -> Iterator[Quad]:
    """The arXiv taxonomy: every category and archive as a ``skos:Concept`` in one scheme."""
    g = iri(iris.shared_graph(TAXONOMY_GRAPH))
    scheme = iri(iris.category_scheme())
    yield Quad(scheme, _TYPE, iri(SKOS.ConceptScheme), g)
    yield Quad(scheme, iri(SKOS.prefLabel), literal("arXiv category taxonomy", lang="en"), g)
    yield Quad(scheme, iri(RDFS.label), literal("arXiv category taxonomy", lang="en"), g)
    for code, (name, _group) in sorted(taxonomy.archives().items()):
        archive = iri(iris.category(code))
        yield Quad(archive, _TYPE, iri(SKOS.Concept), g)
        yield Quad(archive, iri(SKOS.notation), literal(code), g)
        yield Quad(archive, iri(SKOS.prefLabel), literal(name, lang="en"), g)
        yield Quad(archive, iri(SKOS.inScheme), scheme, g)
        yield Quad(archive, iri(SKOS.topConceptOf), scheme, g)
    aliases_of: dict[str, list[str]] = {}
    for alias, canonical in taxonomy.aliases.items():
        aliases_of.setdefault(canonical, []).append(alias)
    for code, cat in sorted(taxonomy.categories.items()):
        concept = iri(iris.category(code))
        yield Quad(concept, _TYPE, iri(SKOS.Concept), g)
        yield Quad(concept, iri(SKOS.notation), literal(code), g)
        yield Quad(concept, iri(SKOS.prefLabel), literal(cat.name, lang="en"), g)
        yield Quad(concept, iri(SKOS.inScheme), scheme, g)
        yield Quad(concept, iri(KG.categoryStatus), literal(cat.status), g)
        if cat.archive != code:
            yield Quad(concept, iri(SKOS.broader), iri(iris.category(cat.archive)), g)
        else:
            yield Quad(concept, iri(SKOS.topConceptOf), scheme, g)
        for alias in sorted(aliases_of.get(code, ())):
            yield Quad(concept, iri(SKOS.hiddenLabel), literal(alias), g)


EXTRACTOR = Extractor(
    name="categories",
    reads=frozenset({"arxiv_id", "categories", "primary_category"}),
    emits=frozenset({DCTERMS.subject, KG.primaryCategory}),
    extract=category_quads,
)
