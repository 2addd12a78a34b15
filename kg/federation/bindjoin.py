"""Evaluate queries with ``SERVICE`` so that our client, not pyoxigraph, calls out, with bind joins.

Every outermost ``SERVICE`` clause is replaced in the query text by a ``VALUES`` block holding the
remote rows, and the rewritten query runs on the local store, so the answer is a genuine pyoxigraph
result (``QuerySolutions``, ``QueryBoolean`` or ``QueryTriples``) that serializes like any other.

How the remote rows are fetched depends on where the clause sits (see ``docs/federation.md``):

- **bind join**: the clause is an element of the query's top-level ``WHERE`` group, or the only
  pattern of an ``OPTIONAL`` there. The local side (the group's elements before it, without the
  group's filters) is evaluated first; the variables it shares with the service pattern are the join
  keys; their distinct values go to the remote in ``VALUES`` batches; the remote rows replace the
  clause. When the clause comes first in its group, the plain-join elements after it are the local side.
- **full fetch** (the naive evaluation, through our client): any other clause, or when the local side
  leaves a key unbound in some row; the pattern is sent as ``SELECT * WHERE { ... }``.
- **pyoxigraph** evaluates the original query itself only when a remote answer holds blank nodes or
  triple terms, which a ``VALUES`` block cannot carry (the allowlist has been checked before).

``SERVICE SILENT`` keeps its meaning: a remote failure makes the clause one solution that binds nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.errors import FederationError, FederationRemoteError
from kg.federation.allowlist import check_query, resolve_host
from kg.federation.client import FederationClient, RemoteRows
from kg.federation.sparqltext import (
    Element,
    ServiceClause,
    SparqlTextError,
    Token,
    find_services,
    group_elements,
    query_shape,
    tokenize,
)
from kg.settings import Settings
from kg.store import KgStore

log = logging.getLogger("kg.federation")

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class _BlankNodes(Exception):
    """A remote answer that a VALUES block cannot carry: evaluate the original query instead."""


@dataclass
class RemoteCache:
    """Remote answers by (endpoint, query text), kept ``ttl`` seconds; bounded in entries."""

    ttl: float
    max_entries: int = 2048
    _entries: dict[tuple[str, str], tuple[float, RemoteRows]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    hits: int = 0

    def get(self, key: tuple[str, str]) -> RemoteRows | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self.hits += 1
            return entry[1]

    def put(self, key: tuple[str, str], rows: RemoteRows) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                for k in [k for k, (exp, _) in self._entries.items() if exp < now] or list(self._entries)[:1]:
                    del self._entries[k]
            self._entries[key] = (time.monotonic() + self.ttl, rows)


@dataclass
class Stats:
    """What the last execution did, for logs and tests."""

    bind_joins: int = 0
    full_fetches: int = 0
    silent_failures: int = 0
    keys_shipped: int = 0
    remote_rows: int = 0
    fallback: str | None = None


def values_block(variables: Iterable[str], rows: Iterable[dict[str, str]]) -> str:
    """A ``VALUES`` block with the given rows (terms in SPARQL syntax; a missing one is ``UNDEF``).

    >>> values_block(["a", "b"], [{"a": '"x"'}, {"a": "<http://e/>", "b": '"1"'}])
    'VALUES (?a ?b) {\\n("x" UNDEF)\\n(<http://e/> "1")\\n}'
    """
    names = list(variables)
    head = " ".join(f"?{n}" for n in names)
    lines = ["(" + " ".join(row.get(n, "UNDEF") for n in names) + ")" for row in rows]
    return f"VALUES ({head}) {{\n" + "\n".join(lines) + ("\n" if lines else "") + "}"


class Federation:
    """Checks and runs queries with ``SERVICE``; create one per process and reuse it (it holds the cache)."""

    def __init__(self, settings: Settings, *, client: FederationClient | None = None, resolve: Any = resolve_host):
        self.settings = settings
        self.resolve = resolve
        self.client = client or FederationClient(settings, resolve=resolve)
        self.cache = RemoteCache(settings.federation_cache_s)
        self.last = Stats()

    # -- public API -----------------------------------------------------------------------------

    def check(self, sparql: str) -> list[str]:
        """Raise :class:`~kg.errors.FederationRefused` unless every SERVICE may be called; return endpoints."""
        return check_query(sparql, self.settings.federation_allow, resolve=self.resolve)

    def execute(self, store: KgStore, sparql: str, **options: Any) -> QueryResult:
        """Check ``sparql`` and evaluate it on ``store``; SERVICE clauses are answered by our client.

        ``options`` are passed to :meth:`KgStore.query` (``default_graph``, ``named_graphs``, ``base_iri``...).
        """
        self.last = Stats()
        if not self.check(sparql):
            return store.query(sparql, **options)
        try:
            text = self._rewrite(store, sparql, options)
        except _BlankNodes:
            self.last.fallback = "remote answer holds blank nodes: evaluated by pyoxigraph"
            log.info("federation: %s", self.last.fallback)
            return store.query(sparql, **options)
        return self._local(store, text, options)

    def execute_update(self, store: KgStore, sparql: str, **options: Any) -> None:
        """Check a SPARQL Update and run it; SERVICE clauses in its WHERE parts are fetched by our client.

        ``LOAD <url>`` runs only for an allowlisted URL (pyoxigraph fetches it itself).
        """
        self.last = Stats()
        if not self.check(sparql) or not find_services(sparql):
            store.update(sparql, **options)
            return
        clauses = [c for c in find_services(sparql) if c.depth == 0]
        text = _apply(sparql, clauses, {c.start: self._full_fetch(c) for c in clauses})
        if find_services(text):
            raise FederationError("internal error: a SERVICE clause survived the rewrite")
        store.update(text, **options)

    # -- rewriting ------------------------------------------------------------------------------

    def _local(self, store: KgStore, text: str, options: dict[str, Any]) -> QueryResult:
        if find_services(text):  # defensive: pyoxigraph must never call out on its own
            raise FederationError("internal error: a SERVICE clause survived the rewrite")
        return store.query(text, **options)

    def _rewrite(self, store: KgStore, sparql: str, options: dict[str, Any]) -> str:
        tokens = tokenize(sparql)
        clauses = [c for c in find_services(sparql, tokens) if c.depth == 0]
        replacements: dict[int, str] = {}  # clause start -> replacement text
        candidates = self._candidates(sparql, tokens, clauses)
        by_start = {c.start: c for c in clauses}
        for clause in clauses:
            if clause.start not in candidates:
                replacements[clause.start] = self._full_fetch(clause)
        shape = query_shape(sparql, tokens)
        for start, (index, elements) in candidates.items():
            clause = by_start[start]
            replacements[start] = self._bind_join(store, sparql, clause, index, elements, replacements, shape, options)
        return _apply(sparql, clauses, replacements)

    def _candidates(
        self, sparql: str, tokens: list[Token], clauses: list[ServiceClause]
    ) -> dict[int, tuple[int, list[Element]]]:
        """Clauses that a bind join can answer: start offset -> (element index, top-level elements)."""
        try:
            shape = query_shape(sparql, tokens)
            if shape is None:
                return {}
            elements = group_elements(tokens, shape.where_open)
        except (SparqlTextError, IndexError):
            return {}
        starts = {c.tok_start: c for c in clauses}
        found: dict[int, tuple[int, list[Element]]] = {}
        for index, element in enumerate(elements):
            if element.kind == "service" and element.tok_start in starts:
                found[starts[element.tok_start].start] = (index, elements)
            elif element.kind == "optional":
                inner = group_elements(tokens, element.tok_start + 1)
                services = [e for e in inner if e.kind == "service"]
                others = [e for e in inner if e.kind not in ("service", "filter")]
                if len(services) == 1 and not others and services[0].tok_start in starts:
                    found[starts[services[0].tok_start].start] = (index, elements)
        return found

    def _fetch(self, clause: ServiceClause, query: str) -> RemoteRows:
        assert clause.endpoint is not None
        key = (clause.endpoint, query)
        rows = self.cache.get(key)
        if rows is None:
            rows = self.client.select(clause.endpoint, query)
            self.cache.put(key, rows)
        if rows.has_blank_nodes:
            raise _BlankNodes
        self.last.remote_rows += len(rows.rows)
        return rows

    def _full_fetch(self, clause: ServiceClause) -> str:
        self.last.full_fetches += 1
        query = f"{clause.prologue_text}SELECT * WHERE {clause.body}"
        try:
            rows = self._fetch(clause, query)
        except FederationRemoteError:
            if clause.silent:
                return self._silent_failure(clause)
            raise
        return values_block(rows.variables, rows.rows)

    def _silent_failure(self, clause: ServiceClause) -> str:
        """One solution binding nothing (the join identity), with the pattern's variables kept in scope."""
        self.last.silent_failures += 1
        names = sorted({t.text[1:] for t in tokenize(clause.body) if t.kind == "var"})
        return values_block(names, [{}])

    def _bind_join(
        self,
        store: KgStore,
        sparql: str,
        clause: ServiceClause,
        index: int,
        elements: list[Element],
        replacements: dict[int, str],
        shape: Any,
        options: dict[str, Any],
    ) -> str:
        local = [e for e in elements[:index] if e.kind != "filter"]
        if not local:  # the clause opens its group: join with the plain-join elements that follow
            for element in elements[index + 1 :]:
                if not element.joins:
                    break
                if element.kind != "service":
                    local.append(element)
        body_vars = {t.text[1:] for t in tokenize(clause.body) if t.kind == "var"}
        local_vars = set().union(*(e.variables for e in local)) if local else set()
        keys = sorted(body_vars & local_vars)
        if not local or not keys:
            return self._full_fetch(clause)
        local_text = " ".join(_with_replacements(sparql, e, replacements) for e in local)
        probe = (
            f"{shape.prologue_text}SELECT DISTINCT {' '.join('?' + k for k in keys)} "
            f"{shape.dataset_text} WHERE {{ {local_text} }}"
        )
        solutions = self._local(store, probe, options)
        key_rows = [{k: str(s[k]) for k in keys if s[k] is not None} for s in solutions]
        bound = [k for k in keys if any(k in row for row in key_rows)]
        if any(len(row) != len(bound) for row in key_rows) or any(
            any(isinstance(s, str) and s.startswith("_:") for s in row.values()) for row in key_rows
        ):
            log.info("federation: a join key is unbound (or a blank node) in the local side: full fetch")
            return self._full_fetch(clause)
        if not bound:
            return self._full_fetch(clause)
        self.last.bind_joins += 1
        unique = list({tuple(row[k] for k in bound): row for row in key_rows}.values())
        self.last.keys_shipped += len(unique)
        variables: list[str] = []
        rows: list[dict[str, str]] = []
        batch = self.settings.federation_batch_size
        try:
            for i in range(0, len(unique), batch):
                chunk = unique[i : i + batch]
                query = (
                    f"{clause.prologue_text}SELECT * WHERE {{\n{values_block(bound, chunk)}\n{clause.body}\n}}"
                )
                answer = self._fetch(clause, query)
                for name in answer.variables:
                    if name not in variables:
                        variables.append(name)
                rows.extend(answer.rows)
        except FederationRemoteError:
            if clause.silent:
                return self._silent_failure(clause)
            raise
        if not variables:
            variables = list(bound)
        return values_block(variables, rows)


def _with_replacements(sparql: str, element: Element, replacements: dict[int, str]) -> str:
    """The text of an element with the SERVICE clauses inside it already replaced."""
    inner = [c for c in find_services(sparql) if c.depth == 0 and element.start <= c.start < element.end]
    text = sparql[element.start : element.end]
    for clause in sorted(inner, key=lambda c: c.start, reverse=True):
        replacement = replacements.get(clause.start)
        if replacement is None:
            raise FederationError(f"internal error: SERVICE {clause.endpoint} has no answer yet")
        a, b = clause.start - element.start, clause.end - element.start
        text = text[:a] + replacement + text[b:]
    return text


def _apply(sparql: str, clauses: list[ServiceClause], replacements: dict[int, str]) -> str:
    out = sparql
    for clause in sorted(clauses, key=lambda c: c.start, reverse=True):
        out = out[: clause.start] + replacements[clause.start] + out[clause.end :]
    return out


def execute(store: KgStore, sparql: str, settings: Settings, **options: Any) -> QueryResult:
    """One-shot form of :meth:`Federation.execute` (no cache shared between calls)."""
    return Federation(settings).execute(store, sparql, **options)
