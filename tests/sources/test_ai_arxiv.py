"""Validation of ai-arxiv rows: each kind of bad record is rejected naming the field and the reason."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from kg.errors import RecordError
from kg.sources.ai_arxiv import parse_row, split_authors
from kg.sources.readers import read_jsonl
from kg.sources.records import Rejected
from kg.sources.text import repair
from kg.vocab import parse_arxiv_id, person_slug


@pytest.fixture
def row(sample_rows):
    return copy.deepcopy(next(r for r in sample_rows if r["doi"] == "2307.09042"))


def _error(raw) -> RecordError:
    with pytest.raises(RecordError) as info:
        parse_row(raw, source="t.jsonl", line=7)
    return info.value


def test_a_good_row_becomes_a_typed_record(row):
    record = parse_row(row, source="t.jsonl", line=1)
    assert record.paper.arxiv_id == "2307.09042"
    assert record.paper.authors == ("Xuena Wang", "Xueting Li", "Zi Yin", "Yue Wu", "Liu Jia")
    assert record.paper.published == date(2023, 7, 18)
    assert record.paper.categories == ("cs.AI",)
    assert record.chunk is not None and record.chunk.text == row["chunk"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"doi": None}, "doi", "missing arXiv id"),
        ({"doi": "not-an-id"}, "doi", "is not an arXiv id"),
        ({"doi": 2307.09042}, "doi", "expected a string"),
        ({"title": "  "}, "title", "missing or empty"),
        ({"title": None}, "title", "missing or empty"),
        ({"authors": ""}, "authors", "missing or empty"),
        ({"authors": 42}, "authors", "expected a comma-separated string"),
        ({"published": "20230231"}, "published", "not a valid date"),
        ({"updated": "yesterday"}, "updated", "not a valid date"),
        ({"updated": "20220101"}, "updated", "before the publication date"),
        ({"references": {"id": "2302.13971"}}, "references", "expected a list"),
        ({"references": [{"id": "nonsense"}]}, "references[0].id", "is not an arXiv id"),
        ({"references": [42]}, "references[0]", "expected an object"),
        ({"categories": "cs.AI, cs.XX"}, "categories", "'cs.XX' is not an arXiv category"),
        ({"primary_category": "astro"}, "primary_category", "is not an arXiv category"),
        ({"chunk-id": -1}, "chunk-id", "non-negative integer"),
        ({"chunk": ""}, "chunk", "missing or empty"),
        ({"id": "2307.09042#999"}, "id", "does not match"),
    ],
)
def test_bad_field_is_rejected_with_its_name_and_reason(row, change, field, reason):
    row.update(change)
    err = _error(row)
    assert err.field == field
    assert reason in err.reason


def test_a_row_that_is_not_an_object_is_rejected():
    assert "expected a JSON object" in _error(["a", "list"]).reason


def test_version_suffix_maps_to_the_versionless_paper(row):
    row["doi"] = "2307.09042v3"
    row["id"] = "2307.09042v3#55"
    record = parse_row(row, source="t", line=1)
    assert record.paper.arxiv_id == "2307.09042"
    assert record.paper.version == "v3"


def test_old_style_ids_work(row):
    row.update({"doi": "hep-th/9901001", "id": "hep-th/9901001#55"})
    assert parse_row(row, source="t", line=1).paper.arxiv_id == "hep-th/9901001"
    assert parse_arxiv_id("math.GT/0309136v2") == "math.GT/0309136"


def test_category_aliases_map_to_the_canonical_code(row):
    row.update({"categories": "math.MP cs.NA", "primary_category": "math.MP"})
    assert parse_row(row, source="t", line=1).paper.categories == ("math-ph", "math.NA")


def test_mojibake_is_repaired_before_anything_else(row):
    row["title"] = "Emotions \u00e2\u0080\u0094 a study"
    row["chunk"] = "caf\u00c3\u00a9 text\x00 with a NUL"
    record = parse_row(row, source="t", line=1)
    assert record.paper.title == "Emotions — a study"
    assert record.chunk.text == "café text with a NUL"


def test_control_characters_never_survive():
    assert repair("a\x00b\x07c\x1bd\x7f") == "abcd"
    cleaned = repair("caf\u00e9 \x00\u0085 \ud800 \x9f")
    assert not any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert repair("tab\tand\nnewline") == "tab\tand\nnewline"


def test_author_suffixes_stay_with_their_name():
    assert split_authors("John Smith, Jr., Ada Lovelace and Alan Turing", "x") == (
        "John Smith, Jr.", "Ada Lovelace", "Alan Turing")


def test_person_slugs_fold_case_accents_and_width():
    assert person_slug("Aurélien Rodriguez") == person_slug("AURELIEN  RODRIGUEZ") == "aurelien-rodriguez"
    assert person_slug("Ｈｕｇｏ Touvron") == "hugo-touvron"
    assert person_slug("王 小明") == "王-小明"


def test_broken_json_and_blank_lines(tmp_path, row):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(row) + "\n\n   \n{broken json\n" + json.dumps(row) + "\n", encoding="utf-8")
    rows = list(read_jsonl(path))
    assert [type(r).__name__ for r in rows] == ["SourceRecord", "Rejected", "SourceRecord"]
    rejected = rows[1]
    assert isinstance(rejected, Rejected)
    assert rejected.line == 4 and "invalid JSON" in rejected.reason and rejected.raw == "{broken json"
