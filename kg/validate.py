"""SHACL validation of a store against ``ontology/shapes.ttl`` (pySHACL), with a readable report.

The store's quads are loaded into one rdflib graph (the union of its graphs, as queries see it),
then checked against the shapes; each violation names its focus node, path and message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from kg.ontology import shapes_path
from kg.store import KgStore
from kg.vocab import PREFIXES

log = logging.getLogger("kg.validate")


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result: the node that failed, the path checked, what is wrong."""

    focus: str
    path: str
    message: str
    severity: str = "Violation"
    value: str = ""
    shape: str = ""


@dataclass
class ValidationReport:
    """The outcome of validating a store: conforms or not, and the results sorted by focus node."""

    conforms: bool
    results: list[Violation]
    triples: int
    seconds: float

    @property
    def violations(self) -> list[Violation]:
        return [r for r in self.results if r.severity == "Violation"]

    def text(self, *, limit: int | None = None) -> str:
        """The report as lines: focus node, path, message (and the offending value when there is one)."""
        head = (
            f"conforms: {self.triples} triples checked in {self.seconds:.1f} s"
            if self.conforms
            else f"does not conform: {len(self.results)} results on {self.triples} triples ({self.seconds:.1f} s)"
        )
        lines = [head]
        shown = self.results if limit is None else self.results[:limit]
        for r in shown:
            lines.append(f"{r.severity}: {r.focus}")
            lines.append(f"    path:    {r.path or '-'}")
            lines.append(f"    message: {r.message}")
            if r.value:
                lines.append(f"    value:   {r.value}")
        if len(shown) < len(self.results):
            lines.append(f"... and {len(self.results) - len(shown)} more")
        return "\n".join(lines)


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """The SHACL shapes shipped with the package."""
    return rdflib.Graph().parse(shapes_path(), format="turtle")


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """One rdflib graph holding the triples of ``quads`` (the union of their graphs)."""
    graph = rdflib.Graph()
    add = graph.add
    cache: dict[str, rdflib.term.Node] = {}
    for quad in quads:
        triple = []
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.Literal):
                triple.append(_term(term))
            else:
                key = str(term)
                node = cache.get(key)
                if node is None:
                    node = cache[key] = _term(term)
                triple.append(node)
        add((triple[0], triple[1], triple[2]))
    return graph


def _compact(node: rdflib.term.Node | None, namespaces: Sequence[tuple[str, str]]) -> str:
    if node is None:
        return ""
    if isinstance(node, rdflib.URIRef):
        text = str(node)
        for prefix, ns in namespaces:
            if text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(node, rdflib.BNode):
        return "[path expression]"
    if isinstance(node, rdflib.Literal):
        text = str(node)
        return repr(text[:200] + ("…" if len(text) > 200 else ""))
    return str(node)


def _path_text(results: rdflib.Graph, path: rdflib.term.Node | None, namespaces: Sequence[tuple[str, str]]) -> str:
    """A result path as text: a predicate, ``^p`` for an inverse path, ``p/q`` for a sequence."""
    if path is None or isinstance(path, rdflib.URIRef):
        return _compact(path, namespaces)
    inverse = results.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_text(results, inverse, namespaces)
    if results.value(path, rdflib.RDF.first) is not None:
        items = rdflib.collection.Collection(results, path)
        return "/".join(_path_text(results, item, namespaces) for item in items)
    return _compact(path, namespaces)


def _results(results: rdflib.Graph) -> list[Violation]:
    namespaces = sorted(((p, ns) for p, ns in PREFIXES.items()), key=lambda item: -len(item[1]))
    out = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        out.append(Violation(
            focus=_compact(results.value(result, SH.focusNode), []),
            path=_path_text(results, results.value(result, SH.resultPath), namespaces),
            message=" ".join(str(m) for m in results.objects(result, SH.resultMessage)),
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            value=_compact(results.value(result, SH.value), namespaces),
            shape=_compact(results.value(result, SH.sourceShape), [("kgsh", "https://w3id.org/arxiv-kg/shapes#")]),
        ))
    return sorted(out)


def validate_graph(data: rdflib.Graph) -> ValidationReport:
    """Check one rdflib graph against the shapes."""
    import pyshacl

    start = time.perf_counter()
    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        advanced=True,
    )
    seconds = time.perf_counter() - start
    return ValidationReport(bool(conforms), _results(results), len(data), seconds)


def validate_store(store: KgStore) -> ValidationReport:
    """Check a whole store (the union of its graphs) against the shapes."""
    start = time.perf_counter()
    data = to_rdflib(store.quads())
    log.info("loaded %d triples for validation in %.1f s", len(data), time.perf_counter() - start)
    report = validate_graph(data)
    report.seconds = time.perf_counter() - start
    return report
