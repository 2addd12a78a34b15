"""Counts of what a store holds, by SPARQL over the union of its graphs."""

from __future__ import annotations

from kg.store import KgStore
from kg.vocab import CITO, FABIO, FOAF, KG

COUNT_QUERIES: dict[str, str] = {
    "papers": f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{FABIO.Preprint}> }}",
    "authors": f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{FOAF.Person}> }}",
    "chunks": f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{KG.Chunk}> }}",
    "citations": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x <{CITO.cites}> ?y }}",
    "claims": f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{KG.Claim}> }}",
}


def store_stats(store: KgStore) -> dict[str, int]:
    """Papers, authors, chunks, citations, claims, triples (quads) and named graphs."""
    counts = {name: int(next(iter(store.query(q)))["n"].value) for name, q in COUNT_QUERIES.items()}
    counts["triples"] = len(store)
    counts["graphs"] = sum(1 for _ in store.named_graphs())
    return counts
