"""Query results written out piece by piece: SPARQL JSON/XML/CSV/TSV per solution, RDF through
pyoxigraph's streaming serializers. Nothing is materialized; a row cap stops the stream when hit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.server import negotiation as media

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
BATCH_ROWS = 256

RDF_FORMATS = {
    media.TURTLE: ox.RdfFormat.TURTLE,
    media.N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    media.N_QUADS: ox.RdfFormat.N_QUADS,
    media.TRIG: ox.RdfFormat.TRIG,
    media.JSON_LD: ox.RdfFormat.JSON_LD,
    media.RDF_XML: ox.RdfFormat.RDF_XML,
}
PREFIXES = {
    "kg": "https://w3id.org/arxiv-kg/ontology#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "fabio": "http://purl.org/spar/fabio/",
    "cito": "http://purl.org/spar/cito/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class RowCapExceeded(Exception):
    """More rows than the caller may receive."""

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"the result has more than {cap} rows, the limit for anonymous queries: "
            "add a LIMIT (and OFFSET to page) or send the update token"
        )
        self.cap = cap


def _capped(rows: Iterable[Any], cap: int | None) -> Iterator[Any]:
    for count, row in enumerate(rows, 1):
        if cap is not None and count > cap:
            raise RowCapExceeded(cap)
        yield row


# --- SPARQL JSON -------------------------------------------------------------------------------


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if getattr(term, "direction", None) is not None:
                out["its:dir"] = str(term.direction).rsplit(".", 1)[-1].lower()
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _json_solutions(solutions: ox.QuerySolutions, names: list[str], cap: int | None) -> Iterator[str]:
    yield '{"head":{"vars":' + json.dumps(names) + '},"results":{"bindings":['
    batch: list[str] = []
    first = True
    for solution in _capped(solutions, cap):
        row = {name: _json_term(solution[name]) for name in names if solution[name] is not None}
        batch.append(("" if first else ",") + json.dumps(row, ensure_ascii=False))
        first = False
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch)
            batch = []
    batch.append("]}}\n")
    yield "".join(batch)


# --- SPARQL XML --------------------------------------------------------------------------------


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"unexpected term {term!r}")


XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def _xml_solutions(solutions: ox.QuerySolutions, names: list[str], cap: int | None) -> Iterator[str]:
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    yield f"{XML_HEAD}<head>{head}</head><results>"
    batch: list[str] = []
    for solution in _capped(solutions, cap):
        cells = "".join(
            f"<binding name={quoteattr(n)}>{_xml_term(solution[n])}</binding>" for n in names if solution[n] is not None
        )
        batch.append(f"<result>{cells}</result>")
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch)
            batch = []
    batch.append("</results></sparql>\n")
    yield "".join(batch)


# --- CSV and TSV -------------------------------------------------------------------------------


def _csv_cell(term: Any) -> str:
    if term is None:
        return ""
    text = term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_solutions(solutions: ox.QuerySolutions, names: list[str], cap: int | None) -> Iterator[str]:
    yield ",".join(names) + "\r\n"
    batch: list[str] = []
    for solution in _capped(solutions, cap):
        batch.append(",".join(_csv_cell(solution[n]) for n in names) + "\r\n")
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


def _tsv_solutions(solutions: ox.QuerySolutions, names: list[str], cap: int | None) -> Iterator[str]:
    yield "\t".join(f"?{n}" for n in names) + "\n"
    batch: list[str] = []
    for solution in _capped(solutions, cap):
        batch.append("\t".join("" if solution[n] is None else str(solution[n]) for n in names) + "\n")
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


SOLUTION_WRITERS: dict[str, Callable[[ox.QuerySolutions, list[str], int | None], Iterator[str]]] = {
    media.SPARQL_JSON: _json_solutions,
    media.SPARQL_XML: _xml_solutions,
    media.CSV: _csv_solutions,
    media.TSV: _tsv_solutions,
}


def solutions(result: ox.QuerySolutions, media_type: str, *, cap: int | None = None) -> Iterator[str]:
    """A SELECT result in ``media_type``, as a stream of text pieces."""
    names = [v.value for v in result.variables]
    return SOLUTION_WRITERS[media_type](result, names, cap)


NATIVE_RESULT_FORMATS = {
    media.SPARQL_JSON: ox.QueryResultsFormat.JSON,
    media.SPARQL_XML: ox.QueryResultsFormat.XML,
    media.CSV: ox.QueryResultsFormat.CSV,
    media.TSV: ox.QueryResultsFormat.TSV,
}


def write_solutions(result: ox.QuerySolutions, media_type: str, output: Any) -> None:
    """A SELECT result through pyoxigraph's own (streaming) serializer, into a binary ``output``."""
    result.serialize(output, NATIVE_RESULT_FORMATS[media_type])


def boolean(value: bool, media_type: str) -> str:
    """An ASK result in ``media_type``."""
    text = "true" if value else "false"
    if media_type == media.SPARQL_XML:
        return f"{XML_HEAD}<head/><boolean>{text}</boolean></sparql>\n"
    return '{"head":{},"boolean":' + text + "}\n"


def triples(items: Iterable[ox.Triple], media_type: str, output: Any, *, cap: int | None = None) -> int:
    """Write triples (a CONSTRUCT result or a graph) to a binary ``output`` as they come; returns the count."""
    counted = 0

    def counting() -> Iterator[Any]:
        nonlocal counted
        for triple in _capped(items, cap):
            counted += 1
            yield ox.Quad(triple.subject, triple.predicate, triple.object) if media_type in _DATASET else triple

    rdf_format = RDF_FORMATS[media_type]
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    ox.serialize(counting(), output, rdf_format, prefixes=prefixes)
    return counted


_DATASET = {media.N_QUADS, media.TRIG}


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type (text types carry their charset)."""
    if media_type.startswith("text/") or media_type in (media.N_TRIPLES, media.N_QUADS, media.TRIG):
        return f"{media_type}; charset=utf-8"
    return media_type
