"""SHACL validation of a store against ``ontology/shapes.ttl``, with a readable report.

Two engines share the work so that a big store validates in bounded memory and reasonable time:

* SHACL core constraints run in pySHACL on batches of the store: a batch of paper graphs, plus what
  the shared graphs (people, taxonomy, ...) say about the nodes those papers point at (two hops),
  then the shared graphs themselves in runs of subjects. Results are merged and deduplicated.
* SHACL-SPARQL constraints (``sh:sparql``) run in Oxigraph, one query per constraint over the whole
  store: the constraint's SELECT joined with its shape's targets, which is what pre-binding ``$this``
  to each focus node gives for queries that bind ``$this`` in a triple pattern (ours all do).
  pySHACL re-parses such a query for every focus node, which made a 1,000-paper store take minutes.

:func:`validate_graph` runs pySHACL alone on an rdflib graph (both engines for every constraint); a
test checks that both ways give the same results.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from kg.ontology import shapes_path
from kg.progress import progress
from kg.store import KgStore
from kg.vocab import DEFAULT_BASE_IRI, PREFIXES, SHARED_GRAPHS, IriScheme

log = logging.getLogger("kg.validate")

SHAPES_NS = "https://w3id.org/arxiv-kg/shapes#"
BATCH_GRAPHS = 200
BATCH_SHARED_QUADS = 20_000
CLOSURE_HOPS = 2


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


# ---------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """The SHACL shapes shipped with the package."""
    return rdflib.Graph().parse(shapes_path(), format="turtle")


@lru_cache(maxsize=1)
def core_shapes_graph() -> rdflib.Graph:
    """The shapes without their SHACL-SPARQL constraints (those run in Oxigraph)."""
    core = rdflib.Graph()
    for triple in shapes_graph():
        if triple[1] != SH.sparql:
            core.add(triple)
    return core


@dataclass(frozen=True)
class SparqlConstraint:
    """One ``sh:sparql`` constraint of a node shape, ready to run over a whole store."""

    shape: str
    select: str
    messages: tuple[str, ...]
    severity: str
    targets: str
    direct_targets: str
    prefixes: str

    def query(self, *, subclasses: bool = True) -> str:
        targets = self.targets if subclasses else self.direct_targets
        return (
            f"{self.prefixes}SELECT * WHERE {{\n  {{ SELECT DISTINCT ?this WHERE {{ {targets} }} }}\n"
            f"  {{ {self.select} }}\n}}"
        )


def _target_pattern(shapes: rdflib.Graph, shape: rdflib.term.Node, *, subclasses: bool = True) -> str:
    """The focus nodes of a shape as a SPARQL pattern binding ``?this``.

    ``subclasses=False`` leaves out the ``rdfs:subClassOf*`` step of class targets (ten times faster
    in Oxigraph): right when the data holds no ``rdfs:subClassOf`` triple.
    """
    rdf_type, subclass = rdflib.RDF.type, rdflib.RDFS.subClassOf
    step = f"<{rdf_type}>/<{subclass}>*" if subclasses else f"<{rdf_type}>"
    parts = [f"{{ ?this {step} <{c}> }}" for c in shapes.objects(shape, SH.targetClass)]
    parts += [f"{{ ?this <{p}> ?_target }}" for p in shapes.objects(shape, SH.targetSubjectsOf)]
    parts += [f"{{ ?_target <{p}> ?this }}" for p in shapes.objects(shape, SH.targetObjectsOf)]
    parts += [f"{{ VALUES ?this {{ {n.n3()} }} }}" for n in shapes.objects(shape, SH.targetNode)]
    return " UNION ".join(parts)


def _prefix_declarations(shapes: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    lines = []
    for source in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(source, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>\n")
    return "".join(sorted(set(lines)))


@lru_cache(maxsize=1)
def sparql_constraints() -> tuple[SparqlConstraint, ...]:
    """The SHACL-SPARQL constraints of the shapes, with their shapes' targets."""
    shapes = shapes_graph()
    out = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if shapes.value(constraint, SH.deactivated) == rdflib.Literal(True):
            continue
        targets = _target_pattern(shapes, shape)
        if not targets:
            continue
        severity = shapes.value(shape, SH.severity) or SH.Violation
        out.append(SparqlConstraint(
            shape=_compact(shape, [("kgsh", SHAPES_NS)]),
            select=str(shapes.value(constraint, SH.select)),
            messages=tuple(sorted(str(m) for m in shapes.objects(constraint, SH.message))),
            severity=str(severity).rsplit("#", 1)[-1],
            targets=targets,
            direct_targets=_target_pattern(shapes, shape, subclasses=False),
            prefixes=_prefix_declarations(shapes, constraint),
        ))
    return tuple(sorted(out, key=lambda c: (c.shape, c.select)))


# ---------------------------------------------------------------------------------------------
# Terms and results
# ---------------------------------------------------------------------------------------------


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


_NAMESPACES = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def _compact(node: rdflib.term.Node | None, namespaces: Sequence[tuple[str, str]] = _NAMESPACES) -> str:
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


def _path_text(results: rdflib.Graph, path: rdflib.term.Node | None) -> str:
    """A result path as text: a predicate, ``^p`` for an inverse path, ``p/q`` for a sequence."""
    if path is None or isinstance(path, rdflib.URIRef):
        return _compact(path)
    inverse = results.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_text(results, inverse)
    if results.value(path, rdflib.RDF.first) is not None:
        return "/".join(_path_text(results, item) for item in rdflib.collection.Collection(results, path))
    return _compact(path)


def _results(results: rdflib.Graph) -> list[Violation]:
    out = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        out.append(Violation(
            focus=_compact(results.value(result, SH.focusNode), []),
            path=_path_text(results, results.value(result, SH.resultPath)),
            message=" ".join(str(m) for m in results.objects(result, SH.resultMessage)),
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            value=_compact(results.value(result, SH.value)),
            shape=_compact(results.value(result, SH.sourceShape), [("kgsh", SHAPES_NS)]),
        ))
    return sorted(out)


def _pyshacl(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Violation]:
    import pyshacl

    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True, advanced=True
    )
    return _results(results)


def validate_graph(data: rdflib.Graph) -> ValidationReport:
    """Check one rdflib graph against all the shapes with pySHACL alone."""
    start = time.perf_counter()
    results = _pyshacl(data, shapes_graph())
    return ValidationReport(not results, results, len(data), time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# A whole store
# ---------------------------------------------------------------------------------------------


_TEMPLATE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _run_sparql_constraint(
    store: KgStore, constraint: SparqlConstraint, *, subclasses: bool = True
) -> Iterator[Violation]:
    """The results of one SHACL-SPARQL constraint over the whole store, evaluated by Oxigraph."""
    solutions = store.query(constraint.query(subclasses=subclasses))
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        bound = {name: solution[name] for name in names if solution[name] is not None}
        this = bound["this"]
        value = bound.get("value", this)
        path = bound.get("path")

        def fill(match: re.Match[str], bound: dict[str, object] = bound) -> str:
            term = bound.get(match.group(1))
            return match.group(0) if term is None else str(getattr(term, "value", term))

        yield Violation(
            focus=_compact(_term(this), []),
            path=_compact(_term(path)) if path is not None else "",
            message=" ".join(_TEMPLATE_VAR.sub(fill, m) for m in constraint.messages),
            severity=constraint.severity,
            value=_compact(_term(value)),
            shape=constraint.shape,
        )


def _closure(store: KgStore, quads: list[ox.Quad], shared: Sequence[str], hops: int = CLOSURE_HOPS) -> list[ox.Quad]:
    """What the shared graphs say about the IRIs ``quads`` point at, and what those point at."""
    seen = {q.subject for q in quads}
    frontier = {q.object for q in quads if isinstance(q.object, ox.NamedNode)} - seen
    extra: list[ox.Quad] = []
    for _ in range(hops):
        found: set[ox.NamedNode] = set()
        for node in frontier:
            for graph in shared:
                for quad in store.quads(subject=node.value, graph=graph):
                    extra.append(quad)
                    if isinstance(quad.object, ox.NamedNode):
                        found.add(quad.object)
        seen |= frontier
        frontier = found - seen
    return extra


def _batches(store: KgStore, base_iri: str) -> Iterator[list[ox.Quad]]:
    """The store in batches: paper graphs with their shared context, then the shared graphs by subject."""
    iris = IriScheme(base_iri)
    graphs = set(store.named_graphs())
    # shared graphs by IRI under the base, or by name (a store built under another base IRI)
    named = {iris.shared_graph(name) for name in SHARED_GRAPHS}
    shared = sorted(g for g in graphs if g in named or g.rstrip("/").rsplit("/", 1)[-1] in SHARED_GRAPHS)
    papers = sorted(graphs - set(shared))
    for start in range(0, len(papers), BATCH_GRAPHS):
        quads = [q for g in papers[start:start + BATCH_GRAPHS] for q in store.quads(graph=g)]
        yield quads + _closure(store, quads, shared)
    for graph in shared:
        run: list[ox.Quad] = []
        for quad in store.quads(graph=graph):
            if len(run) >= BATCH_SHARED_QUADS and quad.subject != run[-1].subject:
                yield run + _closure(store, run, shared)
                run = []
            run.append(quad)
        if run:
            yield run + _closure(store, run, shared)


PlainTerm = tuple[str, ...]


def _plain(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> PlainTerm:
    """A picklable form of a term, for worker processes."""
    if isinstance(term, ox.NamedNode):
        return ("I", term.value)
    if isinstance(term, ox.BlankNode):
        return ("B", term.value)
    return ("L", term.value, term.datatype.value, term.language or "")


def _from_plain(term: PlainTerm) -> rdflib.term.Node:
    if term[0] == "I":
        return rdflib.URIRef(term[1])
    if term[0] == "B":
        return rdflib.BNode(term[1])
    if term[3]:
        return rdflib.Literal(term[1], lang=term[3])
    return rdflib.Literal(term[1], datatype=rdflib.URIRef(term[2]))


def _check_plain_batch(triples: list[tuple[PlainTerm, PlainTerm, PlainTerm]]) -> list[Violation]:
    """Worker side: SHACL core on one batch sent as plain terms."""
    graph = rdflib.Graph()
    for s, p, o in triples:
        graph.add((_from_plain(s), _from_plain(p), _from_plain(o)))
    return _pyshacl(graph, core_shapes_graph())


def _core_results(store: KgStore, base_iri: str, workers: int) -> Iterator[list[Violation]]:
    batches = progress(_batches(store, base_iri), total=None, desc="validate", unit="batches")
    if workers <= 1:
        core = core_shapes_graph()
        for batch in batches:
            yield _pyshacl(to_rdflib(batch), core)
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: set[Future[list[Violation]]] = set()
        for batch in batches:
            plain = [(_plain(q.subject), _plain(q.predicate), _plain(q.object)) for q in batch]
            pending.add(pool.submit(_check_plain_batch, plain))
            if len(pending) >= 2 * workers:  # bounded: at most two batches per worker in flight
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        for future in pending:
            yield future.result()


def validate_store(store: KgStore, *, base_iri: str = DEFAULT_BASE_IRI, workers: int = 1) -> ValidationReport:
    """Check a whole store (the union of its graphs) against the shapes, in bounded memory.

    ``workers`` > 1 checks the SHACL core batches in that many worker processes.
    """
    start = time.perf_counter()
    results: set[Violation] = set()
    subclasses = bool(store.query(f"ASK {{ ?a <{rdflib.RDFS.subClassOf}> ?b }}"))
    for constraint in sparql_constraints():
        results.update(_run_sparql_constraint(store, constraint, subclasses=subclasses))
    log.info("SHACL-SPARQL constraints checked in %.1f s", time.perf_counter() - start)
    for batch_results in _core_results(store, base_iri, workers):
        results.update(batch_results)
    ordered = sorted(results)
    return ValidationReport(not ordered, ordered, len(store), time.perf_counter() - start)
