"""Extraction: pure functions from typed records to quads, one module per kind of fact.

The tuples below are the registry: the build runs every paper extractor once per paper and
every chunk extractor once per chunk, in this order.
"""

from kg.extract import authors, categories, chunks, citations, papers
from kg.extract.base import Extractor
from kg.extract.categories import taxonomy_quads
from kg.extract.citations import stub_quads

PAPER_EXTRACTORS: tuple[Extractor, ...] = (
    papers.EXTRACTOR,
    authors.EXTRACTOR,
    categories.EXTRACTOR,
    citations.EXTRACTOR,
)
CHUNK_EXTRACTORS: tuple[Extractor, ...] = (chunks.EXTRACTOR,)

__all__ = ["CHUNK_EXTRACTORS", "PAPER_EXTRACTORS", "Extractor", "stub_quads", "taxonomy_quads"]
