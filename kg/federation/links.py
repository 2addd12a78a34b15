"""``owl:sameAs`` links from our papers to Wikidata items and dblp records, looked up in batches.

The links go into their own named graph (``<graph/links/wikidata>``, ``<graph/links/dblp>``) with
PROV provenance (the activity, when it ran, which endpoint it used), written as a new store version,
so later queries join locally without calling out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kg.federation.bindjoin import values_block
from kg.federation.client import FederationClient
from kg.progress import progress
from kg.rdf import Quad, iri, literal
from kg.settings import Settings
from kg.store import StoreDirectory
from kg.vocab import KG, OWL, PROV, RDF, RDFS, XSD, IriScheme, arxiv_doi

log = logging.getLogger("kg.federation")


@dataclass(frozen=True)
class LinkTarget:
    """An external graph: its endpoint, how an arXiv id becomes its key, and the lookup query."""

    name: str
    endpoint: str
    key: Callable[[str], str]  # arXiv id -> the key term in SPARQL syntax
    pattern: str  # the lookup pattern over ?key and ?target


TARGETS = {
    "wikidata": LinkTarget(
        "wikidata",
        "https://query-scholarly.wikidata.org/sparql",
        key=lambda arxiv_id: '"' + arxiv_id + '"',  # wdt:P818: the bare id, as we store it
        pattern="?target <http://www.wikidata.org/prop/direct/P818> ?key .",
    ),
    "dblp": LinkTarget(
        "dblp",
        "https://sparql.dblp.org/sparql",
        key=lambda arxiv_id: "<https://doi.org/" + arxiv_doi(arxiv_id).upper() + ">",  # upper-case DOI IRI
        pattern="?target <https://dblp.org/rdf/schema#doi> ?key .",
    ),
}


@dataclass
class LinkReport:
    target: str
    endpoint: str
    papers: int = 0
    links: int = 0
    requests: int = 0
    graph: str = ""

    def summary(self) -> str:
        return (
            f"{self.links} owl:sameAs links to {self.target} for {self.papers} arXiv ids "
            f"({self.requests} requests to {self.endpoint}) written to <{self.graph}>"
        )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def link(
    store_dir: StoreDirectory,
    target_name: str,
    settings: Settings,
    *,
    endpoint: str | None = None,
    batch_size: int | None = None,
) -> LinkReport:
    """Look up every arXiv id of the store at the target and write the links graph as a new version."""
    target = TARGETS[target_name]
    endpoint = endpoint or target.endpoint
    batch = batch_size or settings.federation_batch_size
    iris = IriScheme(settings.base_iri)
    # the operator names the endpoint on the command line: allow exactly that one
    client = FederationClient(settings.model_copy(update={"federation_allow": [endpoint]}))
    graph = iris.link_graph(target.name)
    report = LinkReport(target.name, endpoint, graph=graph)

    store = store_dir.open(read_only=True)
    try:
        solutions = store.query(f"SELECT DISTINCT ?paper ?id WHERE {{ ?paper <{KG.arxivId}> ?id }} ORDER BY ?id")
        papers: dict[str, list[str]] = {}
        for s in solutions:
            papers.setdefault(target.key(s["id"].value), []).append(s["paper"].value)
    finally:
        store.close()
    report.papers = len(papers)

    started = _now()
    keys = list(papers)
    links: list[tuple[str, str]] = []
    batches = range(0, len(keys), batch)
    for i in progress(batches, total=len(batches), desc=f"kg link {target.name}", unit="batches"):
        chunk = [{"key": k} for k in keys[i : i + batch]]
        query = f"SELECT ?key ?target WHERE {{\n{values_block(['key'], chunk)}\n{target.pattern}\n}}"
        answer = client.select(endpoint, query)
        for row in answer.rows:
            found, key = row.get("target", ""), row.get("key", "")
            if not found.startswith("<") or key not in papers:
                continue
            for paper in papers[key]:
                links.append((paper, found[1:-1]))
    report.requests = client.requests
    report.links = len(set(links))
    ended = _now()
    activity = iris.link_activity(target.name, started.replace(":", "").replace("-", ""))

    def quads() -> Iterator[str]:
        g = iri(graph)
        for paper, found in sorted(set(links)):
            yield Quad(iri(paper), iri(OWL.sameAs), iri(found), g).nquad()
        a, agent = iri(activity), iri(iris.agent())
        yield Quad(g, iri(PROV.wasGeneratedBy), a, g).nquad()
        yield Quad(a, iri(RDF.type), iri(PROV.Activity), g).nquad()
        yield Quad(a, iri(RDFS.label), literal(f"kg link {target.name}"), g).nquad()
        yield Quad(a, iri(PROV.startedAtTime), literal(started, datatype=XSD.dateTime), g).nquad()
        yield Quad(a, iri(PROV.endedAtTime), literal(ended, datatype=XSD.dateTime), g).nquad()
        yield Quad(a, iri(PROV.used), iri(endpoint), g).nquad()
        yield Quad(a, iri(PROV.wasAssociatedWith), agent, g).nquad()
        yield Quad(agent, iri(RDF.type), iri(PROV.SoftwareAgent), g).nquad()

    store_dir.replace_graphs({graph: quads()}, info={"created_by": f"kg link {target.name}", "endpoint": endpoint})
    log.info("%s", report.summary())
    return report
