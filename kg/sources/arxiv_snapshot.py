"""The arXiv metadata snapshot: one JSON object per paper (``arxiv-metadata-oai-snapshot.json``).

Fields: ``id``, ``submitter``, ``authors``, ``authors_parsed`` (``[last, first, suffix]`` in order),
``title``, ``comments``, ``journal-ref``, ``doi``, ``report-no``, ``categories`` (space-separated, the
first is the primary), ``license``, ``abstract``, ``versions`` (``{"version": "v1", "created": RFC 2822
date}``) and ``update_date``. A record becomes a :class:`Paper` without chunks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from kg.errors import RecordError
from kg.sources.ai_arxiv import parse_date, split_authors, split_categories
from kg.sources.records import Paper, PaperVersion, SourceRecord
from kg.sources.text import repair, squash
from kg.vocab import arxiv_pdf, parse_arxiv_id

FIELDS = (
    "id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no", "categories",
    "license", "abstract", "versions", "update_date", "authors_parsed",
)
# Keys that tell a snapshot record from an ai-arxiv chunk row.
SIGNATURE = frozenset({"authors_parsed", "versions", "update_date"})
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_VERSION = re.compile(r"^v\d+$")


def looks_like_snapshot(raw: Any) -> bool:
    """True for a record in the snapshot shape (it has ``authors_parsed`` or ``versions`` + ``update_date``)."""
    return isinstance(raw, Mapping) and "chunk" not in raw and (
        "authors_parsed" in raw or {"versions", "update_date"} <= raw.keys()
    )


def _text(raw: Mapping[str, Any], field: str, record_id: str | None) -> str | None:
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RecordError(record_id, field, f"expected a string, got {type(value).__name__}")
    text = squash(repair(value))
    return text or None


def parse_authors(raw: Mapping[str, Any], record_id: str) -> tuple[str, ...]:
    """Ordered author names, from ``authors_parsed`` when present, else from the ``authors`` string."""
    parsed = raw.get("authors_parsed")
    if parsed in (None, []):
        if raw.get("authors") in (None, ""):
            raise RecordError(record_id, "authors", "missing or empty")
        return split_authors(raw["authors"], record_id)
    if not isinstance(parsed, list):
        raise RecordError(record_id, "authors_parsed", f"expected a list, got {type(parsed).__name__}")
    names: list[str] = []
    for i, entry in enumerate(parsed):
        if not isinstance(entry, list) or not entry or not all(isinstance(p, str) for p in entry):
            raise RecordError(record_id, f"authors_parsed[{i}]", "expected a list [last, first, suffix] of strings")
        last, first, suffix = ([*entry, "", ""])[:3]
        name = squash(repair(" ".join(p for p in (first, last, suffix) if p.strip())))
        if name:
            names.append(name)
    if not names:
        raise RecordError(record_id, "authors_parsed", "no author names")
    return tuple(names)


def parse_versions(value: Any, record_id: str) -> tuple[PaperVersion, ...]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]`` in version order."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError(record_id, "versions", f"expected a list, got {type(value).__name__}")
    out: list[PaperVersion] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise RecordError(record_id, f"versions[{i}]", "expected an object with 'version' and 'created'")
        label, created = item.get("version"), item.get("created")
        if not isinstance(label, str) or not _VERSION.match(label.strip()):
            raise RecordError(record_id, f"versions[{i}].version", f"expected v1, v2, ..., got {label!r}")
        if not isinstance(created, str):
            raise RecordError(record_id, f"versions[{i}].created", "missing date")
        try:
            when = parsedate_to_datetime(created)
        except (TypeError, ValueError) as err:
            raise RecordError(record_id, f"versions[{i}].created", f"not a valid date: {created!r} ({err})") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        out.append(PaperVersion(label.strip(), when.astimezone(UTC)))
    out.sort(key=lambda v: int(v.label[1:]))
    return tuple(out)


def parse_doi(value: Any, record_id: str) -> str | None:
    """The first DOI of the field (some records list several, space-separated), without a resolver prefix."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RecordError(record_id, "doi", f"expected a string, got {type(value).__name__}")
    first = _DOI_URL.sub("", value.split()[0].strip())
    if not _DOI.match(first):
        raise RecordError(record_id, "doi", f"{value!r} is not a DOI")
    return first


def parse_license(value: Any, record_id: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _IRI.match(value.strip()):
        raise RecordError(record_id, "license", f"expected the licence URL, got {value!r}")
    return value.strip()


def parse_snapshot_record(raw: Any, *, source: str, line: int) -> SourceRecord:
    """Validate one snapshot record; raises :class:`RecordError` naming the field and the reason."""
    if not isinstance(raw, Mapping):
        raise RecordError(None, None, f"expected a JSON object, got {type(raw).__name__}")
    raw_id = raw.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise RecordError(None, "id", "missing arXiv id")
    arxiv_id = parse_arxiv_id(raw_id)
    if arxiv_id is None:
        raise RecordError(raw_id, "id", f"{raw_id!r} is not an arXiv id")
    title = _text(raw, "title", arxiv_id)
    if not title:
        raise RecordError(arxiv_id, "title", "missing or empty")
    authors = parse_authors(raw, arxiv_id)
    if not isinstance(raw.get("categories"), str) or not raw["categories"].strip():
        raise RecordError(arxiv_id, "categories", "missing or empty")
    categories = split_categories(raw["categories"], arxiv_id)
    versions = parse_versions(raw.get("versions"), arxiv_id)
    if versions:
        published, updated = versions[0].created.date(), versions[-1].created.date()
    else:
        published = None
        updated = parse_date(_text(raw, "update_date", arxiv_id), arxiv_id, "update_date")
    if published and updated and updated < published:
        raise RecordError(arxiv_id, "versions", f"the last version ({updated}) is before the first ({published})")
    latest = versions[-1].label if versions else None
    paper = Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        categories=categories,
        primary_category=categories[0],
        abstract=_text(raw, "abstract", arxiv_id),
        published=published,
        updated=updated,
        comment=_text(raw, "comments", arxiv_id),
        journal_ref=_text(raw, "journal-ref", arxiv_id),
        pdf_url=arxiv_pdf(arxiv_id + latest if latest else arxiv_id),
        references=(),
        version=latest,
        doi=parse_doi(raw.get("doi"), arxiv_id),
        license=parse_license(raw.get("license"), arxiv_id),
        versions=versions,
        report_no=_text(raw, "report-no", arxiv_id),
    )
    return SourceRecord(source=source, line=line, paper=paper, chunk=None, raw=raw)
