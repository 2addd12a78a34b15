"""The chunked "ai-arxiv" layout: one row per text chunk, the paper's metadata repeated on each row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from kg.errors import RecordError
from kg.sources.records import Chunk, Paper, SourceRecord
from kg.sources.taxonomy import load_taxonomy
from kg.sources.text import repair, squash
from kg.vocab import NEW_STYLE_ID, OLD_STYLE_ID, arxiv_pdf, parse_arxiv_id

FIELDS = (
    "doi", "chunk-id", "chunk", "id", "title", "summary", "source", "authors", "categories", "comment",
    "journal_ref", "primary_category", "published", "updated", "references",
)
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md"})
_LIST_SPLIT = re.compile(r"\s*,\s*|\s+and\s+|\s*;\s*")
_CATEGORY_SPLIT = re.compile(r"[\s,;]+")
_PDF_URL = re.compile(r"^https?://(?:export\.)?arxiv\.org/pdf/(?P<id>.+?)(?:\.pdf)?$")


def _text(raw: Mapping[str, Any], field: str, record_id: str | None, *, required: bool = False) -> str | None:
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(record_id, field, "missing or empty")
        return None
    if not isinstance(value, str):
        raise RecordError(record_id, field, f"expected a string, got {type(value).__name__}")
    return repair(value)


def parse_date(value: str | None, record_id: str | None, field: str) -> date | None:
    """``20230718``, ``2023-07-18`` or an ISO date-time; an impossible date is an error."""
    if value is None:
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as err:
        raise RecordError(record_id, field, f"not a valid date: {value!r} ({err})") from None


def split_authors(value: Any, record_id: str | None) -> tuple[str, ...]:
    """Author names in order, from a comma-separated string (``A, B and C``) or a list."""
    if isinstance(value, str):
        parts = [p for p in _LIST_SPLIT.split(value) if p.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise RecordError(record_id, "authors", "expected a comma-separated string or a list of names")
    names: list[str] = []
    for part in parts:
        name = squash(repair(part))
        if not name:
            continue
        if names and name.casefold() in _NAME_SUFFIXES:
            names[-1] = f"{names[-1]}, {name}"
        else:
            names.append(name)
    if not names:
        raise RecordError(record_id, "authors", "no author names")
    return tuple(names)


def split_categories(value: Any, record_id: str | None, field: str = "categories") -> tuple[str, ...]:
    """Canonical category codes, in order and without repeats; unknown codes are an error."""
    if isinstance(value, str):
        codes = [c for c in _CATEGORY_SPLIT.split(value) if c]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        codes = [c.strip() for c in value if c.strip()]
    else:
        raise RecordError(record_id, field, "expected category codes as a string or a list")
    taxonomy = load_taxonomy()
    out: list[str] = []
    for code in codes:
        canonical = taxonomy.canonical(code)
        if canonical is None:
            raise RecordError(record_id, field, f"{code!r} is not an arXiv category")
        if canonical not in out:
            out.append(canonical)
    return tuple(out)


def parse_references(value: Any, record_id: str | None) -> tuple[str, ...]:
    """Cited arXiv ids (versionless, in order, without repeats) from ``[{"id": "2302.13971"}, ...]``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError(record_id, "references", f"expected a list, got {type(value).__name__}")
    out: list[str] = []
    for i, item in enumerate(value):
        ref = item.get("id") if isinstance(item, dict) else item
        if not isinstance(ref, str):
            raise RecordError(record_id, f"references[{i}]", "expected an object with a string 'id'")
        cited = parse_arxiv_id(ref)
        if cited is None:
            raise RecordError(record_id, f"references[{i}].id", f"{ref!r} is not an arXiv id")
        if cited not in out and cited != record_id:
            out.append(cited)
    return tuple(out)


def _version(value: str) -> str | None:
    match = NEW_STYLE_ID.match(value) or OLD_STYLE_ID.match(value)
    return match.group("version") if match else None


_PAPER_FIELDS = tuple(f for f in FIELDS if f not in ("chunk-id", "chunk", "id"))
_paper_cache: dict[str, tuple[tuple, Paper]] = {}
_PAPER_CACHE_SIZE = 256


def _cached_paper(raw: Mapping[str, Any], raw_id: str, arxiv_id: str) -> Paper:
    """A paper's metadata repeats on each of its chunk rows: validate it once while it stays the same."""
    values = tuple(map(raw.get, _PAPER_FIELDS))
    cached = _paper_cache.get(raw_id)
    if cached is not None and cached[0] == values:
        return cached[1]
    paper = _parse_paper(raw, raw_id, arxiv_id)
    if len(_paper_cache) >= _PAPER_CACHE_SIZE:
        _paper_cache.pop(next(iter(_paper_cache)))
    _paper_cache[raw_id] = (values, paper)
    return paper


def _parse_paper(raw: Mapping[str, Any], raw_id: str, arxiv_id: str) -> Paper:
    title = squash(_text(raw, "title", arxiv_id, required=True) or "")
    if not title:
        raise RecordError(arxiv_id, "title", "missing or empty")
    summary = _text(raw, "summary", arxiv_id)
    if raw.get("authors") in (None, "", []):
        raise RecordError(arxiv_id, "authors", "missing or empty")
    authors = split_authors(raw["authors"], arxiv_id)
    categories = split_categories(raw.get("categories") or "", arxiv_id) if raw.get("categories") else ()
    primary = raw.get("primary_category")
    primary_code = None
    if primary:
        primary_codes = split_categories(primary, arxiv_id, "primary_category")
        if len(primary_codes) != 1:
            raise RecordError(arxiv_id, "primary_category", "expected exactly one category code")
        primary_code = primary_codes[0]
        if primary_code not in categories:
            categories = (primary_code, *categories)
    published = parse_date(_text(raw, "published", arxiv_id), arxiv_id, "published")
    updated = parse_date(_text(raw, "updated", arxiv_id), arxiv_id, "updated")
    if published and updated and updated < published:
        raise RecordError(arxiv_id, "updated", f"{updated} is before the publication date {published}")

    pdf_url = arxiv_pdf(arxiv_id)
    source_url = _text(raw, "source", arxiv_id)
    if source_url:
        match = _PDF_URL.match(source_url.strip())
        if match and parse_arxiv_id(match.group("id")) == arxiv_id:
            pdf_url = arxiv_pdf(match.group("id"))

    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        categories=categories,
        primary_category=primary_code,
        abstract=squash(summary) if summary else None,
        published=published,
        updated=updated,
        comment=squash(c) if (c := _text(raw, "comment", arxiv_id)) else None,
        journal_ref=squash(j) if (j := _text(raw, "journal_ref", arxiv_id)) else None,
        pdf_url=pdf_url,
        references=parse_references(raw.get("references"), arxiv_id),
        version=_version(raw_id),
    )


# a paper's chunk rows come one after the other, each with the same id to parse
_row_arxiv_id = lru_cache(maxsize=16)(parse_arxiv_id)


def parse_row(raw: Any, *, source: str, line: int) -> SourceRecord:
    """Validate one ai-arxiv row; raises :class:`RecordError` naming the field and the reason."""
    if not isinstance(raw, dict):
        raise RecordError(None, None, f"expected a JSON object, got {type(raw).__name__}")
    raw_id = raw.get("doi")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise RecordError(None, "doi", "missing arXiv id")
    if not isinstance(raw_id, str):
        raise RecordError(None, "doi", f"expected a string arXiv id, got {type(raw_id).__name__}")
    arxiv_id = _row_arxiv_id(raw_id)
    if arxiv_id is None:
        raise RecordError(raw_id, "doi", f"{raw_id!r} is not an arXiv id")

    paper = _cached_paper(raw, raw_id.strip(), arxiv_id)

    chunk = None
    if "chunk" in raw or "chunk-id" in raw:
        index = raw.get("chunk-id")
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise RecordError(arxiv_id, "chunk-id", f"expected a non-negative integer, got {index!r}")
        text = raw.get("chunk")
        if not isinstance(text, str) or not text.strip():
            raise RecordError(arxiv_id, "chunk", "missing or empty chunk text")
        row_id = raw.get("id")
        if row_id is not None and row_id != f"{raw_id.strip()}#{index}" and row_id != f"{arxiv_id}#{index}":
            raise RecordError(arxiv_id, "id", f"{row_id!r} does not match doi#chunk-id ({arxiv_id}#{index})")
        chunk = Chunk(arxiv_id, index, repair(text))
    return SourceRecord(source=source, line=line, paper=paper, chunk=chunk, raw=raw)
