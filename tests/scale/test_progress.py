"""The progress total: counted for small inputs, estimated from the first block for large ones, shown as such."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from kg import build
from kg.build import count_rows
from kg.progress import progress


def _jsonl(path: Path, rows: int) -> Path:
    path.write_text("".join(f'{{"n": {i}, "text": "{"x" * (40 + i % 7)}"}}\n' for i in range(rows)))
    return path


def test_small_json_lines_inputs_are_counted_exactly(tmp_path: Path) -> None:
    paths = [_jsonl(tmp_path / "a.jsonl", 120), _jsonl(tmp_path / "b.jsonl", 3)]
    assert count_rows(paths) == (123, False)


def test_a_large_input_is_estimated_from_its_first_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "EXACT_COUNT_BYTES", 10_000)
    monkeypatch.setattr(build, "ESTIMATE_SAMPLE_BYTES", 4_000)
    small, large = _jsonl(tmp_path / "small.jsonl", 50), _jsonl(tmp_path / "large.jsonl", 5_000)
    total, estimated = count_rows([small, large])
    assert estimated
    assert 50 + 4_750 <= total <= 50 + 5_250


def test_inputs_without_a_cheap_count_have_no_total(tmp_path: Path) -> None:
    packed = tmp_path / "rows.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"n": 1}\n'))
    assert count_rows([_jsonl(tmp_path / "a.jsonl", 3), packed]) == (None, False)


def test_log_lines_mark_an_estimated_total(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kg.progress")
    assert list(progress(range(3), total=1000, estimated=True, desc="build", every_s=0)) == [0, 1, 2]
    assert "build: 1/~1000 rows" in caplog.text
    assert "build: 3 rows in" in caplog.text
    caplog.clear()
    list(progress(range(2), total=2, desc="build", every_s=0))
    assert "build: 1/2 rows" in caplog.text
