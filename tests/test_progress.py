"""Progress of long work: a total still being counted shows up in the log once it is known."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path

from kg.build import count_rows, count_rows_later
from kg.progress import progress


def test_a_total_counted_meanwhile_appears_once_known(caplog):
    counting: Future = Future()

    def items():
        yield from range(3)
        counting.set_result(6)
        yield from range(3, 6)

    with caplog.at_level(logging.INFO, logger="kg.progress"):
        assert list(progress(items(), total=counting, desc="build", unit="rows", every_s=0)) == list(range(6))
    lines = [r.getMessage() for r in caplog.records if "rows/s" in r.getMessage()]
    assert lines[0].startswith("build: 1 rows") and "/6" in lines[-1]


def test_a_failed_count_leaves_the_total_unknown(caplog):
    counting: Future = Future()
    counting.set_exception(OSError("unreadable"))
    with caplog.at_level(logging.INFO, logger="kg.progress"):
        assert list(progress(range(2), total=counting, desc="build", every_s=0)) == [0, 1]
    assert all("/" not in r.getMessage().split(" rows")[0] for r in caplog.records)


def test_rows_counted_in_a_thread_equal_rows_counted_here(tmp_path: Path):
    data = tmp_path / "rows.jsonl"
    data.write_text("{}\n" * 1234)
    assert count_rows_later([data]).result(timeout=10) == count_rows([data]) == 1234
