"""The build's mapper keeps per-paper ids and fingerprints only, never the records themselves."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from kg.build import BuildReport, QuadMapper
from kg.sources.readers import read_path, sample_path
from kg.sources.records import Chunk, Paper, SourceRecord
from kg.vocab import IriScheme

SYNTH = Path(__file__).resolve().parents[2] / "bench" / "synth.py"


def _map_all(path: Path) -> QuadMapper:
    mapper = QuadMapper(IriScheme(), lambda item: None, BuildReport())
    for _ in mapper.start():
        pass
    for row in read_path(path):
        assert isinstance(row, SourceRecord)
        for _ in mapper.row(row):
            pass
    for _ in mapper.finish():
        pass
    return mapper


def test_mapper_holds_no_records_after_streaming_the_input() -> None:
    mapper = _map_all(sample_path())
    gc.collect()
    assert not [o for o in gc.get_referrers(*mapper.papers.values()) if isinstance(o, Paper | Chunk | SourceRecord)]
    for fingerprint, line, chunks in mapper.papers.values():
        assert isinstance(fingerprint, bytes) and len(fingerprint) <= 80
        assert isinstance(line, int) and all(isinstance(i, int) for i in chunks)
    assert all(isinstance(key, int) for key in mapper._shared_seen)


def _held_after_mapping(source: Path) -> tuple[int, int]:
    import tracemalloc

    from kg.sources import ai_arxiv, text

    gc.collect()
    tracemalloc.start()
    mapper = _map_all(source)
    text._repair_cached.cache_clear()  # bounded caches of the readers (repaired strings, recent papers),
    ai_arxiv._paper_cache.clear()  # not the mapper's state
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held, len(mapper.papers)


def test_mapper_memory_grows_per_paper_not_per_byte_of_input(tmp_path: Path) -> None:
    sizes = {}
    for papers in (100, 500):
        source = tmp_path / f"corpus-{papers}.jsonl"
        subprocess.run(
            [sys.executable, str(SYNTH), "--papers", str(papers), "--shape", "ai-arxiv", "--chunks-per-paper", "3",
             "-o", str(source)],
            check=True, capture_output=True,
        )
        sizes[papers] = (*_held_after_mapping(source), source.stat().st_size)
    (held_small, n_small, bytes_small), (held_big, n_big, bytes_big) = sizes[100], sizes[500]
    assert (n_small, n_big) == (100, 500)
    per_paper = (held_big - held_small) / (n_big - n_small)
    per_input_paper = (bytes_big - bytes_small) / (n_big - n_small)
    # ids, fingerprints, chunk numbers, cited ids and 64-bit hashes of people quads: well under 2 KB a paper,
    # against about 8 KB of input per paper here (3 chunk rows; about 270 KB with 90 chunk rows a paper)
    assert per_paper < 2048, per_paper
    assert per_paper < per_input_paper / 4, (per_paper, per_input_paper)
