"""Builds with bad input, failed builds and killed builds: good records load, the old store survives."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.build import build, default_rejects_path
from kg.errors import InputError, StoreLockedError
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI
from tests.conftest import select

BASE = DEFAULT_BASE_IRI


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bad_rows_are_rejected_and_good_rows_still_load(tmp_path, sample_rows):
    good = sample_rows[:10]
    no_title = dict(copy.deepcopy(sample_rows[10]), title="")
    bad_date = dict(copy.deepcopy(sample_rows[11]), published="20231345")
    path = _write_jsonl(tmp_path / "in.jsonl", [*good, no_title, "{not json", bad_date])
    report = build([path], tmp_path / "s", base_iri=BASE)
    assert report.rejected == 3
    assert report.rejects_path == default_rejects_path(tmp_path / "s")
    rejects = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(11, "title"), (12, None), (13, "published")]
    assert rejects[0]["raw"]["chunk-id"] == sample_rows[10]["chunk-id"]
    assert rejects[1]["raw"] == "{not json" and "invalid JSON" in rejects[1]["reason"]
    assert "not a valid date" in rejects[2]["reason"]
    assert "3 rows rejected" in report.summary() and str(report.rejects_path) in report.summary()
    store = StoreDirectory(tmp_path / "s").open()
    chunks = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Chunk }")
    assert int(chunks[0]["n"]) == 10


def test_duplicate_rows_are_not_errors_and_conflicting_metadata_is(tmp_path, sample_rows):
    conflicting = dict(copy.deepcopy(sample_rows[1]), title="Another title", **{"chunk-id": 999})
    conflicting["id"] = f"{conflicting['doi']}#999"
    path = _write_jsonl(tmp_path / "in.jsonl", [sample_rows[0], sample_rows[0], sample_rows[1], conflicting])
    report = build([path], tmp_path / "s", base_iri=BASE)
    assert report.duplicate_rows == 1
    assert report.rejected == 1
    reject = json.loads(report.rejects_path.read_text())
    assert reject["field"] == "title" and "differs from the earlier row at line 3" in reject["reason"]
    assert reject["raw"]["title"] == "Another title" and reject["line"] == 4


def test_rows_in_any_order_give_one_paper_node(tmp_path, sample_rows, sample_store):
    path = _write_jsonl(tmp_path / "rev.jsonl", list(reversed(sample_rows)))
    build([path], tmp_path / "s", base_iri=BASE)
    store = StoreDirectory(tmp_path / "s").open()
    assert sorted(store.nquads()) == sorted(sample_store.nquads())


def test_parquet_and_gzip_inputs_give_the_same_graph(tmp_path, sample_rows, sample_store):
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(sample_rows), tmp_path / "in.parquet")
    with gzip.open(tmp_path / "in.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in sample_rows)
    for name in ("in.parquet", "in.jsonl.gz"):
        build([tmp_path / name], tmp_path / name.replace(".", "-"), base_iri=BASE)
        store = StoreDirectory(tmp_path / name.replace(".", "-")).open()
        assert sorted(store.nquads()) == sorted(sample_store.nquads()), name


def test_several_inputs_build_one_graph(tmp_path, sample_rows, sample_store):
    a = _write_jsonl(tmp_path / "a.jsonl", sample_rows[:50])
    b = _write_jsonl(tmp_path / "b.jsonl", sample_rows[50:])
    build([a, b], tmp_path / "s", base_iri=BASE)
    assert sorted(StoreDirectory(tmp_path / "s").open().nquads()) == sorted(sample_store.nquads())


def test_a_failed_build_leaves_the_previous_store_intact(tmp_path):
    store_dir = tmp_path / "s"
    build([], store_dir, base_iri=BASE)
    before = StoreDirectory(store_dir).current_version()
    with pytest.raises(InputError):
        build([tmp_path / "missing.jsonl"], store_dir, base_iri=BASE)
    assert StoreDirectory(store_dir).current_version() == before
    assert len(StoreDirectory(store_dir).open()) > 0
    assert not list((store_dir / "versions").glob("*.building"))


def test_a_second_concurrent_build_is_refused(tmp_path):
    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version(), pytest.raises(StoreLockedError):
        build([], tmp_path / "s", base_iri=BASE)


def _big_input(path: Path, rows: list[dict], papers: int) -> Path:
    """The sample's rows copied under many new arXiv ids: big enough to take a while to build."""
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(papers):
            new_id = f"2401.{n:05d}"
            for row in rows:
                copy_row = dict(row, doi=new_id, id=f"{new_id}#{row['chunk-id']}")
                handle.write(json.dumps(copy_row) + "\n")
    return path


def test_a_killed_build_leaves_the_previous_store_queryable(tmp_path, sample_rows):
    store_dir = tmp_path / "s"
    build([], store_dir, base_iri=BASE)
    before = StoreDirectory(store_dir).current_version()
    big = _big_input(tmp_path / "big.jsonl", sample_rows, 400)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", "--input", str(big), "--store", str(store_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list((store_dir / "versions").glob("*.building")) and time.monotonic() < deadline:
        assert proc.poll() is None, "the build ended before it could be killed"
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, "the build ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    directory = StoreDirectory(store_dir)
    assert directory.current_version() == before
    rows = select(directory.open(), "SELECT (COUNT(*) AS ?n) WHERE { ?p a fabio:Preprint }")
    assert int(rows[0]["n"]) == 2
    # the next build cleans up what the killed one left
    build([], store_dir, base_iri=BASE)
    assert not list((store_dir / "versions").glob("*.building"))
