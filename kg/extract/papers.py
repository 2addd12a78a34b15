"""A paper's own bibliographic facts: types, identifiers (the publisher's DOI when known, else arXiv's),
title, abstract, dates, links, licence and submitted versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from kg.extract.base import Extractor
from kg.rdf import Quad, iri, literal
from kg.sources.records import Paper
from kg.vocab import (
    BIBO,
    DCTERMS,
    FABIO,
    FOAF,
    KG,
    OWL,
    RDF,
    SCHEMA,
    XSD,
    IriScheme,
    arxiv_abs_page,
    arxiv_doi,
    arxiv_doi_iri,
)

_TYPE = iri(RDF.type)
_PREPRINT = iri(FABIO.Preprint)
_ARTICLE = iri(SCHEMA.ScholarlyArticle)


def paper_quads(paper: Paper, iris: IriScheme) -> Iterator[Quad]:
    s = iri(iris.paper(paper.arxiv_id))
    g = iri(iris.paper_graph(paper.arxiv_id))
    yield Quad(s, _TYPE, _PREPRINT, g)
    yield Quad(s, _TYPE, _ARTICLE, g)
    yield Quad(s, iri(KG.arxivId), literal(paper.arxiv_id), g)
    yield Quad(s, iri(BIBO.doi), literal(paper.doi or arxiv_doi(paper.arxiv_id)), g)
    yield Quad(s, iri(DCTERMS.title), literal(paper.title), g)
    if paper.abstract:
        yield Quad(s, iri(DCTERMS.abstract), literal(paper.abstract), g)
    if paper.published:
        yield Quad(s, iri(DCTERMS.issued), literal(paper.published.isoformat(), datatype=XSD.date), g)
    if paper.updated:
        yield Quad(s, iri(DCTERMS.modified), literal(paper.updated.isoformat(), datatype=XSD.date), g)
    if paper.comment:
        yield Quad(s, iri(KG.arxivComment), literal(paper.comment), g)
    if paper.journal_ref:
        yield Quad(s, iri(DCTERMS.bibliographicCitation), literal(paper.journal_ref), g)
    if paper.pdf_url:
        yield Quad(s, iri(KG.pdf), iri(paper.pdf_url), g)
    yield Quad(s, iri(FOAF.page), iri(arxiv_abs_page(paper.arxiv_id)), g)
    if paper.license:
        yield Quad(s, iri(DCTERMS.license), iri(paper.license), g)
    if paper.report_no:
        yield Quad(s, iri(KG.reportNumber), literal(paper.report_no), g)
    for version in paper.versions:
        v = iri(iris.version(paper.arxiv_id, version.label))
        yield Quad(s, iri(KG.version), v, g)
        yield Quad(v, _TYPE, iri(KG.Version), g)
        yield Quad(v, iri(KG.versionLabel), literal(version.label), g)
        yield Quad(v, iri(DCTERMS.created), literal(_xsd_datetime(version.created), datatype=XSD.dateTime), g)

    # identity links that federated queries and other graphs join on
    yield Quad(s, iri(OWL.sameAs), iri(arxiv_abs_page(paper.arxiv_id)), g)
    yield Quad(s, iri(OWL.sameAs), iri(arxiv_doi_iri(paper.arxiv_id)), g)


def _xsd_datetime(when: datetime) -> str:
    """``2007-04-02T19:18:42Z`` (the readers give UTC date-times)."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


EXTRACTOR = Extractor(
    name="papers",
    reads=frozenset({
        "arxiv_id", "title", "abstract", "published", "updated", "comment", "journal_ref", "pdf_url", "doi",
        "license", "report_no", "versions",
    }),
    emits=frozenset({
        RDF.type, KG.arxivId, BIBO.doi, DCTERMS.title, DCTERMS.abstract, DCTERMS.issued, DCTERMS.modified,
        KG.arxivComment, DCTERMS.bibliographicCitation, KG.pdf, FOAF.page, DCTERMS.license, KG.reportNumber,
        KG.version, KG.versionLabel, DCTERMS.created, OWL.sameAs,
    }),
    extract=paper_quads,
)
