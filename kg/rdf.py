"""RDF terms and quads as N-Quads text: the plain, picklable currency between the layers.

A term is its N-Triples form (``<iri>``, ``"lexical"^^<datatype>``, ``"text"@en``), a quad a
4-tuple of terms. Extractors return quads, the store bulk-loads their N-Quads lines, worker
processes ship them as text. Nothing here touches a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import orjson

from kg.vocab import XSD

_XSD_STRING = XSD.string


class Quad(NamedTuple):
    """One statement in one named graph, each part already in N-Triples form."""

    subject: str
    predicate: str
    object: str
    graph: str

    def nquad(self) -> str:
        return f"{self.subject} {self.predicate} {self.object} {self.graph} .\n"


def iri(value: str) -> str:
    """An IRI term. ``value`` must already be a valid IRI (the vocab module mints them)."""
    return f"<{value}>"


def literal(value: str, *, datatype: str | None = None, lang: str | None = None) -> str:
    """A literal term; plain strings are ``xsd:string``.

    >>> literal('say "hi"\\n')
    '"say \\\\"hi\\\\"\\\\n"'
    >>> literal("2023-07-18", datatype="http://www.w3.org/2001/XMLSchema#date")
    '"2023-07-18"^^<http://www.w3.org/2001/XMLSchema#date>'
    """
    try:  # a JSON string is an N-Triples string: the same escapes (\\" \\\\ \\n \\t ... \\u0001), raw UTF-8 otherwise
        lexical = orjson.dumps(value).decode("utf-8")
    except TypeError:  # lone surrogates: no UTF-8 for them, escaped as they are
        lexical = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    if lang:
        return f"{lexical}@{lang}"
    if datatype and datatype != _XSD_STRING:
        return f"{lexical}^^<{datatype}>"
    return lexical


def typed(value: object, datatype: str) -> str:
    return literal(str(value).lower() if isinstance(value, bool) else str(value), datatype=datatype)


def to_nquads(quads: Iterable[Quad]) -> Iterator[str]:
    """N-Quads lines for ``quads``."""
    for quad in quads:
        yield f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n"
