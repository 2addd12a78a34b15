"""bench/synth.py: deterministic corpora that the readers accept, with recurring authors and inner citations."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest

from kg.sources.readers import read_path
from kg.sources.records import Rejected

SYNTH = Path(__file__).resolve().parents[2] / "bench" / "synth.py"


def _synth(out: Path, *args: str) -> Path:
    subprocess.run([sys.executable, str(SYNTH), "--output", str(out), *args], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("shape", ["ai-arxiv", "arxiv-snapshot"])
def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path, shape: str) -> None:
    args = ["--papers", "40", "--shape", shape, "--chunks-per-paper", "4"]
    a = _synth(tmp_path / "a.jsonl", *args, "--seed", "5").read_bytes()
    b = _synth(tmp_path / "b.jsonl", *args, "--seed", "5").read_bytes()
    c = _synth(tmp_path / "c.jsonl", *args, "--seed", "6").read_bytes()
    assert a == b and a != c


@pytest.mark.parametrize("shape", ["ai-arxiv", "arxiv-snapshot"])
def test_every_record_is_accepted_authors_recur_and_citations_stay_mostly_inside(tmp_path: Path, shape: str) -> None:
    source = _synth(tmp_path / "corpus.jsonl", "--papers", "300", "--shape", shape, "--chunks-per-paper", "3")
    rows = list(read_path(source))
    assert not [r for r in rows if isinstance(r, Rejected)]
    papers = {r.paper.arxiv_id: r.paper for r in rows}
    assert len(papers) == 300
    credits = collections.Counter(name for p in papers.values() for name in p.authors)
    assert credits.most_common(1)[0][1] >= 10  # a Zipf head: some people author many papers
    assert len(credits) > 100
    if shape == "ai-arxiv":
        assert 2 <= len(rows) / 300 <= 5  # about --chunks-per-paper rows per paper
        cited = [c for p in papers.values() for c in p.references]
        assert sum(c in papers for c in cited) / len(cited) > 0.6
    else:
        assert any(p.doi for p in papers.values()) and any(p.license for p in papers.values())
        assert any(len(p.versions) > 1 for p in papers.values())


def test_parquet_output_has_the_same_rows(tmp_path: Path) -> None:
    jsonl = list(read_path(_synth(tmp_path / "c.jsonl", "--papers", "20", "--chunks-per-paper", "3")))
    parquet = list(read_path(_synth(tmp_path / "c.parquet", "--papers", "20", "--chunks-per-paper", "3")))
    assert [(r.paper, r.chunk) for r in jsonl] == [(r.paper, r.chunk) for r in parquet]
