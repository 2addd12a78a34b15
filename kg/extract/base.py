"""The extractor contract: a pure function from a typed record to quads, with what it reads and emits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from kg.rdf import Quad
from kg.vocab import IriScheme

R = TypeVar("R")


@dataclass(frozen=True)
class Extractor(Generic[R]):
    """One kind of fact: ``extract(record, iris)`` returns its quads and never touches a store.

    ``reads`` names the record fields it uses and ``emits`` the predicates it writes, so that a
    test can snapshot the table and a rename cannot pass unnoticed.
    """

    name: str
    reads: frozenset[str]
    emits: frozenset[str]
    extract: Callable[[R, IriScheme], Iterable[Quad]]
