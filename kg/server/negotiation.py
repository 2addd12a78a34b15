"""Content negotiation: which media type answers a request, from its ``Accept`` header (with q-values)
and the ``format=`` override. Pure functions, shared by the routes and the query workers."""

from __future__ import annotations

from dataclasses import dataclass

# Result media types, the first of each tuple being the default.
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
N_QUADS = "application/n-quads"
TRIG = "application/trig"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"
HTML = "text/html"

SOLUTION_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
BOOLEAN_TYPES = (SPARQL_JSON, SPARQL_XML)
GRAPH_TYPES = (TURTLE, N_TRIPLES, N_QUADS, TRIG, JSON_LD, RDF_XML)
OFFERS = {"solutions": SOLUTION_TYPES, "boolean": BOOLEAN_TYPES, "triples": GRAPH_TYPES}

# Aliases clients send for the types above (Accept or Content-Type).
ALIASES = {
    "application/json": SPARQL_JSON,
    "application/sparql-results+json": SPARQL_JSON,
    "application/xml": SPARQL_XML,
    "text/xml": SPARQL_XML,
    "application/x-turtle": TURTLE,
    "text/plain": N_TRIPLES,
    "application/x-trig": TRIG,
    "text/x-nquads": N_QUADS,
}
RDF_ALIASES = {"application/xml": RDF_XML, "text/xml": RDF_XML, "application/json": JSON_LD}

# Short names for ``format=`` (either kind of result), then full media types also work.
FORMAT_NAMES = {
    "json": (SPARQL_JSON, JSON_LD),
    "srj": (SPARQL_JSON, None),
    "xml": (SPARQL_XML, RDF_XML),
    "srx": (SPARQL_XML, None),
    "csv": (CSV, None),
    "tsv": (TSV, None),
    "turtle": (None, TURTLE),
    "ttl": (None, TURTLE),
    "ntriples": (None, N_TRIPLES),
    "nt": (None, N_TRIPLES),
    "nquads": (None, N_QUADS),
    "nq": (None, N_QUADS),
    "trig": (None, TRIG),
    "jsonld": (None, JSON_LD),
    "json-ld": (None, JSON_LD),
    "rdfxml": (None, RDF_XML),
    "rdf": (None, RDF_XML),
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 ``type/*``, 1 ``*/*``), 0 for none."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != main:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


class NotAcceptable(ValueError):
    """No offered media type is acceptable to the client."""


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; a malformed q counts as 1, an empty header as ``*/*``.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/csv;q=0.5, application/*")]
    [('text', 'csv', 0.5), ('application', '*', 1.0)]
    """
    ranges = []
    for item in (header or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        media = media.lower()
        if media == "*":
            media = "*/*"
        main, _, sub = media.partition("/")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 1.0
        ranges.append(MediaRange(main, sub or "*", q))
    return ranges or [MediaRange("*", "*", 1.0)]


def is_browser(header: str | None) -> bool:
    """A browser's Accept asks for HTML first."""
    return bool(header) and "text/html" in header.lower()


def choose(header: str | None, offered: tuple[str, ...], *, aliases: dict[str, str] | None = None) -> str:
    """The offered media type with the highest q-value (ties go to the earlier offer).

    >>> choose("text/csv;q=0.5, application/sparql-results+xml", SOLUTION_TYPES)
    'application/sparql-results+xml'
    >>> choose("*/*", GRAPH_TYPES)
    'text/turtle'
    >>> choose("image/png", GRAPH_TYPES)
    Traceback (most recent call last):
    ...
    kg.server.negotiation.NotAcceptable: none of text/turtle, ...
    """
    ranges = parse_accept(header)
    aliases = {**ALIASES, **(aliases or {})}
    # An alias the client names counts as the type it stands for.
    expanded: list[MediaRange] = []
    for r in ranges:
        expanded.append(r)
        alias = aliases.get(f"{r.type}/{r.subtype}")
        if alias:
            main, _, sub = alias.partition("/")
            expanded.append(MediaRange(main, sub, r.q))
    best: tuple[float, int] = (0.0, 0)
    chosen = None
    for index, media in enumerate(offered):
        specificity, q = 0, 0.0
        for r in expanded:
            s = r.matches(media)
            if s > specificity or (s == specificity and s and r.q > q):
                specificity, q = s, r.q
        if specificity and q > best[0]:
            best, chosen = (q, -index), media
    if chosen is None:
        raise NotAcceptable(f"none of {', '.join(offered)} is acceptable (Accept: {header})")
    return chosen


def negotiate(kind: str, accept: str | None, format_param: str | None) -> str:
    """The media type for a query result of ``kind`` (``solutions``, ``boolean`` or ``triples``).

    ``format=`` wins over Accept; a browser's Accept gets the default type.

    >>> negotiate("solutions", "text/html,application/xhtml+xml,*/*;q=0.8", None)
    'application/sparql-results+json'
    >>> negotiate("triples", None, "nt")
    'application/n-triples'
    """
    offered = OFFERS[kind]
    if format_param:
        name = format_param.strip().lower()
        if name in FORMAT_NAMES:
            results_type, graph_type = FORMAT_NAMES[name]
            media = graph_type if kind == "triples" else results_type
        else:
            media = (RDF_ALIASES if kind == "triples" else ALIASES).get(name, name)
        if media not in offered:
            raise NotAcceptable(f"format={format_param} cannot express a {kind} result (try {', '.join(offered)})")
        return media
    if accept is None or is_browser(accept):
        return offered[0]
    return choose(accept, offered, aliases=RDF_ALIASES if kind == "triples" else None)
