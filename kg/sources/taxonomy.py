"""arXiv's category taxonomy, read from the TSV files shipped as package data."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Category:
    """One arXiv category (``cs.CL``) and the archive and group it belongs to."""

    code: str
    name: str
    archive: str
    archive_name: str
    group: str
    status: str


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The categories by code, and the alias/subsumed codes mapped to their canonical code."""

    categories: dict[str, Category]
    aliases: dict[str, str]

    def canonical(self, code: str) -> str | None:
        """The canonical code for ``code`` (itself, or what it is an alias of), ``None`` if unknown."""
        code = self.aliases.get(code, code)
        return code if code in self.categories else None

    def archives(self) -> dict[str, tuple[str, str]]:
        """Archive code -> (archive name, group name) for every archive that is not itself a category."""
        out: dict[str, tuple[str, str]] = {}
        for cat in self.categories.values():
            if cat.archive not in self.categories:
                out.setdefault(cat.archive, (cat.archive_name, cat.group))
        return out


def _rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files("kg.data").joinpath(name).open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        yield from csv.DictReader(lines, delimiter="\t")


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The shipped taxonomy (``kg/data/arxiv-categories.tsv`` and ``arxiv-category-aliases.tsv``)."""
    categories = {
        row["code"]: Category(
            row["code"], row["name"], row["archive"], row["archive_name"], row["group"], row["status"]
        )
        for row in _rows("arxiv-categories.tsv")
    }
    aliases = {row["from"]: row["to"] for row in _rows("arxiv-category-aliases.tsv")}
    return Taxonomy(categories, aliases)
