"""The extractor registry: what each extractor reads and emits, snapshotted so a rename cannot pass unnoticed."""

from __future__ import annotations

import json
from pathlib import Path

from kg.extract import CHUNK_EXTRACTORS, PAPER_EXTRACTORS
from kg.sources.records import Chunk, Paper

SNAPSHOT = Path(__file__).parent.parent / "data" / "extractors.json"


def _table() -> dict:
    return {
        e.name: {"reads": sorted(e.reads), "emits": sorted(e.emits)}
        for e in (*PAPER_EXTRACTORS, *CHUNK_EXTRACTORS)
    }


def test_extractor_table_matches_the_snapshot():
    assert _table() == json.loads(SNAPSHOT.read_text()), (
        "extractors changed: update tests/data/extractors.json deliberately")


def test_extractors_read_only_fields_that_exist():
    paper_fields = set(Paper.__dataclass_fields__)
    chunk_fields = set(Chunk.__dataclass_fields__)
    for extractor in PAPER_EXTRACTORS:
        assert extractor.reads <= paper_fields, extractor.name
    for extractor in CHUNK_EXTRACTORS:
        assert extractor.reads <= chunk_fields | paper_fields, extractor.name


def test_extractors_emit_only_what_they_declare(sample_rows):
    from kg.sources.ai_arxiv import parse_row
    from kg.vocab import IriScheme

    record = parse_row(sample_rows[0], source="t", line=1)
    iris = IriScheme()
    for extractor in PAPER_EXTRACTORS:
        predicates = {q.predicate.strip("<>") for q in extractor.extract(record.paper, iris)}
        assert predicates <= extractor.emits, extractor.name
    for extractor in CHUNK_EXTRACTORS:
        predicates = {q.predicate.strip("<>") for q in extractor.extract(record.chunk, iris)}
        assert predicates <= extractor.emits, extractor.name
