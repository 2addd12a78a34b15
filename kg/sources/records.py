"""Typed records: what the readers produce and the extractors consume."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class PaperVersion:
    """One submitted version of a paper (``v1``, ``v2``, ...) and when it was submitted."""

    label: str
    created: datetime


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper's metadata, cleaned and validated. ``arxiv_id`` is versionless.

    ``doi`` is the publisher's DOI when the source gives one (the arXiv snapshot does), ``license``
    the licence IRI, ``versions`` the submission history in order.
    """

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    primary_category: str | None = None
    abstract: str | None = None
    published: date | None = None
    updated: date | None = None
    comment: str | None = None
    journal_ref: str | None = None
    pdf_url: str | None = None
    references: tuple[str, ...] = ()
    version: str | None = None
    doi: str | None = None
    license: str | None = None
    versions: tuple[PaperVersion, ...] = ()
    report_no: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One text chunk of a paper, its text exactly as given (after mojibake repair)."""

    arxiv_id: str
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One accepted input row: where it came from, its paper, and its chunk if it has one."""

    source: str
    line: int
    paper: Paper
    chunk: Chunk | None = None
    raw: Any = dataclasses.field(default=None, repr=False, compare=False)  # for a reject found later


@dataclass(frozen=True, slots=True)
class Rejected:
    """One input row that was not loaded, with the reason."""

    source: str
    line: int
    reason: str
    field: str | None = None
    record_id: str | None = None
    raw: Any = dataclasses.field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "record_id": self.record_id,
            "field": self.field,
            "reason": self.reason,
            "raw": self.raw,
        }

    def message(self) -> str:
        where = f"{self.source}:{self.line}"
        if self.record_id:
            where += f" (record {self.record_id!r})"
        if self.field:
            where += f" field {self.field!r}"
        return f"{where}: {self.reason}"
