"""The HTML pages of the graph's resources (Jinja2, autoescaped, no JavaScript): papers with ordered
authors, categories, dates, abstract, claims highlighted in their context, citations both ways and
outbound links; people and categories with their papers; concepts with the claims that mention them;
a table of properties for any other resource; a summary for a named graph."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import pyoxigraph as ox
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from kg.server import lookup
from kg.server.state import ServerState
from kg.vocab import (
    BIBO,
    CITO,
    DCTERMS,
    FOAF,
    ITSRDF,
    KG,
    NIF,
    PREFIXES,
    RDF,
    RDFS,
    SKOS,
    IriScheme,
    arxiv_abs_page,
    arxiv_doi_iri,
    arxiv_pdf,
)

TEMPLATES = Path(__file__).parent / "templates"
LABEL_PREDICATES = (DCTERMS.title, FOAF.name, SKOS.prefLabel, RDFS.label)
CONTEXT_WINDOW = 320  # characters of context shown on each side of a highlighted sentence
LIST_LIMIT = 1000


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def prefixed(iri: str) -> str:
    """``dcterms:title`` for a term of a known vocabulary, the IRI otherwise."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def highlight(text: str, begin: int, end: int, anchor: str | None = None,
              window: int = CONTEXT_WINDOW) -> dict[str, str] | None:
    """The span ``[begin, end)`` of ``text`` with some context around it, cut at word boundaries;
    ``None`` when the offsets do not hold ``anchor`` (the page then shows the anchor alone).

    >>> h = highlight("We did X. Our model wins. Then Y.", 10, 25, "Our model wins.")
    >>> h["before"], h["mark"], h["after"]
    ('We did X. ', 'Our model wins.', ' Then Y.')
    """
    if not (0 <= begin <= end <= len(text)) or (anchor is not None and text[begin:end] != anchor):
        return None
    start, stop = max(0, begin - window), min(len(text), end + window)
    if start > 0:
        space = text.find(" ", start, begin)
        start = space + 1 if space != -1 else start
    if stop < len(text):
        space = text.rfind(" ", end, stop)
        stop = space if space != -1 else stop
    return {
        "lead": "… " if start > 0 else "",
        "before": text[start:begin],
        "mark": text[begin:end],
        "after": text[end:stop],
        "trail": " …" if stop < len(text) else "",
    }


@dataclass
class Description:
    """A resource's description indexed for the templates."""

    iri: str
    base: str
    props: dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]] = field(default_factory=dict)
    nodes: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, iri: str, base: str, triples: list[ox.Triple]) -> Description:
        desc = cls(iri, base)
        nodes: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            nodes[t.subject.value][t.predicate.value].append(t.object)
            if t.predicate.value in LABEL_PREDICATES and isinstance(t.object, ox.Literal):
                desc.labels.setdefault(t.subject.value, t.object.value)
        desc.props = dict(nodes.get(iri, {}))
        desc.nodes = {k: dict(v) for k, v in nodes.items()}
        return desc

    def first(self, predicate: str) -> str | None:
        values = self.props.get(predicate)
        return values[0].value if values else None

    def href(self, iri: str) -> str:
        return "/" + iri[len(self.base):] if iri.startswith(self.base) else iri

    def link(self, iri: str, text: str | None = None) -> dict[str, Any]:
        return {"href": self.href(iri), "text": text or self.labels.get(iri) or prefixed(iri), "iri": iri,
                "external": not iri.startswith(self.base)}

    def term(self, node: Any, depth: int = 0) -> dict[str, Any]:
        if isinstance(node, ox.NamedNode):
            return {"kind": "iri", **self.link(node.value)}
        if isinstance(node, ox.Literal):
            datatype = node.datatype.value
            shown = None if node.language or datatype.endswith("#string") else prefixed(datatype)
            return {"kind": "literal", "text": node.value, "lang": node.language, "datatype": shown}
        # A blank node: its own description, nested (the CBD holds it).
        rows = self.table(node.value, depth + 1) if depth < 4 else []
        return {"kind": "blank", "text": f"_:{node.value}", "lang": None, "datatype": None, "rows": rows}

    def title(self) -> str:
        for predicate in (*LABEL_PREDICATES, NIF.anchorOf):
            value = self.first(predicate)
            if value:
                return value
        return self.iri

    def table(self, node: str | None = None, depth: int = 0) -> list[dict[str, Any]]:
        """Rows ``predicate -> values`` of a node of the description, for the generic table."""
        props = self.props if node is None else self.nodes.get(node, {})
        return [
            {"predicate": self.link(p, prefixed(p)), "values": [self.term(v, depth) for v in values]}
            for p, values in sorted(props.items(), key=lambda item: (item[0] != RDF.type, prefixed(item[0])))
        ]


def _type_names(desc: Description) -> list[str]:
    return sorted(prefixed(t.value) for t in desc.props.get(RDF.type, []))


def _alternates(request: Request) -> list[dict[str, str]]:
    path = request.url.path
    return [{"href": f"{path}?format={name}", "type": media, "text": text}
            for name, media, text in (("ttl", "text/turtle", "Turtle"), ("jsonld", "application/ld+json", "JSON-LD"),
                                      ("nt", "application/n-triples", "N-Triples"),
                                      ("rdfxml", "application/rdf+xml", "RDF/XML"))]


async def render(state: ServerState, iris: IriScheme, iri: str, triples: list[ox.Triple], *,
                 graph: str | None, request: Request) -> str:
    """The HTML page of ``iri`` (described by ``triples``, or a named graph when ``graph`` is set)."""
    desc = Description.of(iri, iris.base, triples)
    common = {"iri": iri, "alternates": _alternates(request), "types": _type_names(desc)}
    if graph is not None:
        name, context = "ld-graph.html", await _graph(state, desc, graph)
    elif iris.arxiv_id_of_paper(iri) and iri == iris.paper(iris.arxiv_id_of_paper(iri) or ""):
        name, context = "ld-paper.html", await _paper(state, iris, desc)
    elif iri.startswith(iris.base + "person/"):
        name, context = "ld-person.html", await _person(state, desc)
    elif iri.startswith(iris.base + "category/"):
        name, context = "ld-category.html", await _category(state, desc)
    elif iri.startswith(iris.base + "concept/"):
        name, context = "ld-concept.html", await _concept(state, desc)
    else:
        name, context = "ld-resource.html", await _resource(state, desc)
    context.setdefault("title", desc.title())
    template = environment().get_template(name)
    # A page of a thousand rows takes tens of milliseconds to render: off the event loop.
    return await run_in_threadpool(lambda: template.render(**common, **context))


def not_found(iri: str) -> str:
    """The page of an IRI nothing is known about (served with a 404)."""
    return environment().get_template("ld-404.html").render(iri=iri)


# --- papers --------------------------------------------------------------------------------------


def _authors(desc: Description) -> list[dict[str, Any]]:
    authors = []
    for node in desc.props.get(KG.authorship, []):
        own = desc.nodes.get(node.value, {})
        position = own.get(KG.position, [None])[0]
        person = own.get(KG.author, [None])[0]
        if person is None:
            continue
        authors.append({"position": int(position.value) if position is not None else 0, **desc.link(person.value)})
    if not authors:  # no ordered authorships: the creators, unordered
        authors = [{"position": 0, **desc.link(p.value)} for p in desc.props.get(DCTERMS.creator, [])]
    return sorted(authors, key=lambda a: (a["position"], a["text"]))


def _claim_views(desc: Description, rows: list[lookup.Row]) -> list[dict[str, Any]]:
    claims = []
    for row in rows:
        anchor = lookup.value(row, "anchor", "")
        text = lookup.value(row, "text")
        begin, end = lookup.value(row, "begin", -1), lookup.value(row, "end", -1)
        context = lookup.value(row, "ctx")
        claim_type = lookup.value(row, "type")
        claims.append({
            **desc.link(lookup.value(row, "claim"), anchor),
            "anchor": anchor,
            "highlight": highlight(text, begin, end, anchor) if isinstance(text, str) else None,
            "type": prefixed(claim_type).removeprefix("kg:") if claim_type else None,
            "negated": lookup.value(row, "negated", False),
            "hedged": lookup.value(row, "hedged", False),
            "context": desc.link(context, "abstract" if context.endswith("/abstract")
                                 else f"chunk {lookup.value(row, 'index', '')}") if context else None,
            "paper": desc.link(lookup.value(row, "paper"), lookup.value(row, "title")) if "paper" in row else None,
        })
    return claims


async def _paper(state: ServerState, iris: IriScheme, desc: Description) -> dict[str, Any]:
    paper = desc.iri
    claims_q = f"""SELECT ?claim ?anchor ?begin ?end ?ctx ?text ?type ?negated ?hedged ?index WHERE {{
  ?claim kg:statedIn <{paper}> ; nif:anchorOf ?anchor ; nif:beginIndex ?begin ; nif:endIndex ?end ;
         nif:referenceContext ?ctx .
  OPTIONAL {{ ?ctx nif:isString ?text }} OPTIONAL {{ ?ctx kg:chunkIndex ?index }}
  OPTIONAL {{ ?claim kg:claimType ?type }} OPTIONAL {{ ?claim kg:negated ?negated }}
  OPTIONAL {{ ?claim kg:hedged ?hedged }}
}} ORDER BY BOUND(?index) ?index ?begin LIMIT {LIST_LIMIT}"""
    cited_by_q = f"""SELECT ?citing (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?issued) WHERE {{
  ?citing cito:cites <{paper}> OPTIONAL {{ ?citing dcterms:title ?t }} OPTIONAL {{ ?citing dcterms:issued ?d }}
}} GROUP BY ?citing ORDER BY DESC(?issued) ?citing LIMIT {LIST_LIMIT}"""
    chunks_q = f"""SELECT ?chunk ?index WHERE {{ ?chunk dcterms:isPartOf <{paper}> ; kg:chunkIndex ?index }}
ORDER BY ?index LIMIT {LIST_LIMIT}"""
    claim_rows, cited_by_rows, chunk_rows = await asyncio.gather(
        lookup.select(state, claims_q), lookup.select(state, cited_by_q), lookup.select(state, chunks_q)
    )
    arxiv_id = desc.first(KG.arxivId) or iris.arxiv_id_of_paper(paper) or ""
    primary = {n.value for n in desc.props.get(KG.primaryCategory, [])}
    categories = sorted(
        ({**desc.link(c.value), "code": c.value.rsplit("/", 1)[-1], "primary": c.value in primary}
         for c in desc.props.get(DCTERMS.subject, [])),
        key=lambda c: (not c["primary"], c["code"]),
    )

    def cited(iri: str, title: str | None) -> dict[str, Any]:
        return {**desc.link(iri, title or iris.arxiv_id_of_paper(iri) or iri), "in_graph": bool(title),
                "arxiv_id": iris.arxiv_id_of_paper(iri)}

    cites = sorted((cited(c.value, desc.labels.get(c.value)) for c in desc.props.get(CITO.cites, [])),
                   key=lambda c: (not c["in_graph"], c["arxiv_id"] or c["iri"]))
    page = desc.first(FOAF.page) or arxiv_abs_page(arxiv_id)
    pdf = desc.first(KG.pdf) or arxiv_pdf(arxiv_id)
    return {
        "title": desc.first(DCTERMS.title) or f"arXiv:{arxiv_id}",
        "in_graph": desc.first(DCTERMS.title) is not None,
        "arxiv_id": arxiv_id,
        "abstract": desc.first(DCTERMS.abstract),
        "issued": desc.first(DCTERMS.issued),
        "modified": desc.first(DCTERMS.modified),
        "comment": desc.first(KG.arxivComment),
        "journal_ref": desc.first(DCTERMS.bibliographicCitation),
        "doi": desc.first(BIBO.doi),
        "authors": _authors(desc),
        "categories": categories,
        "claims": _claim_views(desc, claim_rows),
        "cites": cites,
        "cited_by": [cited(lookup.value(r, "citing"), lookup.value(r, "title")) for r in cited_by_rows],
        "chunks": [desc.link(lookup.value(r, "chunk"), str(lookup.value(r, "index"))) for r in chunk_rows],
        "links": [
            {"text": "arXiv abstract", "href": page},
            {"text": "PDF", "href": pdf},
            {"text": "DOI", "href": arxiv_doi_iri(arxiv_id)},
            {"text": "Wikidata (by arXiv id)",
             "href": "https://www.wikidata.org/w/index.php?search="
                     + quote(f"haswbstatement:P818={arxiv_id}", safe=":=/")},
        ] if arxiv_id else [],
    }


# --- people, categories, concepts ----------------------------------------------------------------


def _paper_rows(desc: Description, rows: list[lookup.Row]) -> list[dict[str, Any]]:
    return [
        {**desc.link(lookup.value(r, "paper"), lookup.value(r, "title")), "issued": lookup.value(r, "issued"),
         "position": lookup.value(r, "pos"), "primary": lookup.value(r, "primary", False)}
        for r in rows
    ]


async def _person(state: ServerState, desc: Description) -> dict[str, Any]:
    rows = await lookup.select(state, f"""SELECT ?paper ?pos (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?issued) WHERE {{
  ?a kg:author <{desc.iri}> . ?paper kg:authorship ?a . OPTIONAL {{ ?a kg:position ?pos }}
  OPTIONAL {{ ?paper dcterms:title ?t }} OPTIONAL {{ ?paper dcterms:issued ?d }}
}} GROUP BY ?paper ?pos ORDER BY DESC(?issued) ?paper LIMIT {LIST_LIMIT}""")
    return {"name": desc.first(FOAF.name) or desc.title(), "papers": _paper_rows(desc, rows),
            "table": desc.table()}


async def _category(state: ServerState, desc: Description) -> dict[str, Any]:
    papers_q = f"""SELECT ?paper (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?issued)
       (EXISTS {{ ?paper kg:primaryCategory <{desc.iri}> }} AS ?primary) WHERE {{
  ?paper dcterms:subject <{desc.iri}> OPTIONAL {{ ?paper dcterms:title ?t }} OPTIONAL {{ ?paper dcterms:issued ?d }}
}} GROUP BY ?paper ORDER BY DESC(?issued) ?paper LIMIT {LIST_LIMIT}"""
    narrower_q = f"""SELECT ?n (SAMPLE(?l) AS ?label) WHERE {{
  ?n skos:broader <{desc.iri}> OPTIONAL {{ ?n skos:prefLabel ?l }} }} GROUP BY ?n ORDER BY ?n LIMIT {LIST_LIMIT}"""
    count_q = f"SELECT (COUNT(DISTINCT ?paper) AS ?n) WHERE {{ ?paper dcterms:subject <{desc.iri}> }}"
    papers, narrower, count = await asyncio.gather(
        lookup.select(state, papers_q), lookup.select(state, narrower_q), lookup.select(state, count_q)
    )
    return {
        "notation": desc.first(SKOS.notation) or desc.iri.rsplit("/", 1)[-1],
        "label": desc.labels.get(desc.iri) or desc.first(SKOS.prefLabel),
        "broader": [desc.link(b.value) for b in desc.props.get(SKOS.broader, [])],
        "scheme": [desc.link(s.value) for s in desc.props.get(SKOS.inScheme, [])],
        "narrower": [desc.link(lookup.value(r, "n"), lookup.value(r, "label")) for r in narrower],
        "papers": _paper_rows(desc, papers),
        "paper_count": lookup.value(count[0], "n", 0) if count else 0,
        "table": desc.table(),
    }


async def _concept(state: ServerState, desc: Description) -> dict[str, Any]:
    claims_q = f"""SELECT ?claim ?anchor ?begin ?end ?ctx ?text ?type ?negated ?hedged ?index ?paper ?title WHERE {{
  ?claim kg:mentions <{desc.iri}> ; nif:anchorOf ?anchor ; nif:beginIndex ?begin ; nif:endIndex ?end ;
         nif:referenceContext ?ctx ; kg:statedIn ?paper .
  OPTIONAL {{ ?paper dcterms:title ?title }} OPTIONAL {{ ?ctx kg:chunkIndex ?index }}
  OPTIONAL {{ ?claim kg:claimType ?type }} OPTIONAL {{ ?claim kg:negated ?negated }}
  OPTIONAL {{ ?claim kg:hedged ?hedged }}
}} ORDER BY ?paper BOUND(?index) ?index ?begin LIMIT {LIST_LIMIT}"""
    mentions_q = f"""SELECT (COUNT(?m) AS ?n) (COUNT(DISTINCT ?paper) AS ?papers) WHERE {{
  ?m {'<' + ITSRDF.taIdentRef + '>'} <{desc.iri}> ; nif:referenceContext ?ctx . ?ctx dcterms:isPartOf ?paper }}"""
    claim_rows, mention_rows = await asyncio.gather(lookup.select(state, claims_q), lookup.select(state, mentions_q))
    mentions = mention_rows[0] if mention_rows else {}
    return {
        "label": desc.labels.get(desc.iri) or desc.title(),
        "claims": _claim_views(desc, claim_rows),
        "mention_count": lookup.value(mentions, "n", 0),
        "paper_count": lookup.value(mentions, "papers", 0),
        "table": desc.table(),
    }


# --- anything else -------------------------------------------------------------------------------


async def _resource(state: ServerState, desc: Description) -> dict[str, Any]:
    labels = ", ".join(f"<{p}>" for p in LABEL_PREDICATES)
    inbound_q = f"""SELECT ?s ?p (SAMPLE(?l) AS ?label) WHERE {{
  ?s ?p <{desc.iri}> OPTIONAL {{ ?s ?lp ?l FILTER(?lp IN ({labels})) }}
}} GROUP BY ?s ?p ORDER BY ?p ?s LIMIT 200"""
    queries = [lookup.select(state, inbound_q)]
    context = desc.first(NIF.referenceContext)
    if context:
        queries.append(lookup.select(state, f"SELECT ?text WHERE {{ <{context}> nif:isString ?text }} LIMIT 1"))
    inbound, *rest = await asyncio.gather(*queries)
    span = None
    if context and rest and rest[0]:
        begin, end = desc.first(NIF.beginIndex), desc.first(NIF.endIndex)
        if begin is not None and end is not None:
            span = highlight(lookup.value(rest[0][0], "text"), int(begin), int(end), desc.first(NIF.anchorOf))
    return {
        "table": desc.table(),
        "text": desc.first(NIF.isString),
        "span": span,
        "span_context": desc.link(context) if context else None,
        "inbound": [
            {"subject": desc.link(lookup.value(r, "s"), lookup.value(r, "label")),
             "predicate": desc.link(lookup.value(r, "p"), prefixed(lookup.value(r, "p")))}
            for r in inbound
        ],
    }


async def _graph(state: ServerState, desc: Description, graph: str) -> dict[str, Any]:
    count_q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    subjects_q = f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?s LIMIT 500"
    count, subjects = await asyncio.gather(lookup.select(state, count_q), lookup.select(state, subjects_q))
    return {
        "title": f"Graph {prefixed(graph)}",
        "triple_count": lookup.value(count[0], "n", 0) if count else 0,
        "subjects": [desc.link(lookup.value(r, "s")) for r in subjects],
        "store_href": "/store?graph=" + quote(graph, safe=""),
    }
