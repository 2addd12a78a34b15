"""Sharded builds: partitions mapped to N-Quads shards in-process or on a real Dask LocalCluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.build import build
from kg.cli import main
from kg.shards import ClaimsOptions, _jsonl_ranges, build_sharded, plan_partitions
from kg.sources.readers import raw_jsonl, sample_path
from kg.store import StoreDirectory

BASE = "https://w3id.org/arxiv-kg/"
CLAIMS = ClaimsOptions()  # the claims pipeline runs in the partitions, as in the local build


def _quads(store: Path) -> list[str]:
    return sorted(StoreDirectory(store).open().nquads())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with its rows shuffled (a paper's rows in several partitions), a duplicate row and a bad one."""
    import random

    lines = [line for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(7).shuffle(lines)
    lines.insert(40, lines[3])
    lines.insert(60, "{broken json")
    lines.insert(61, "")
    path = tmp_path_factory.mktemp("corpus") / "shuffled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_build(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    store = tmp_path_factory.mktemp("local") / "store"
    report = build([corpus], store, base_iri=BASE)
    assert report.rejected == 1
    return _quads(store)


def test_byte_ranges_cover_every_line_once_with_its_number(corpus: Path) -> None:
    whole = [(n, json.dumps(raw, sort_keys=True, default=str)) for n, raw in raw_jsonl(corpus)]
    for target in (997, 20_000, 10**9):
        parts = [
            (n, json.dumps(raw, sort_keys=True, default=str))
            for start, end, first in _jsonl_ranges(corpus, target)
            for n, raw in raw_jsonl(corpus, start=start, end=end, first_line=first)
        ]
        assert parts == whole, target


def test_sharded_local_build_equals_the_local_build(corpus: Path, local_build: list[str], tmp_path: Path) -> None:
    assert len(plan_partitions([corpus], target_bytes=20_000)) > 5
    report = build_sharded([corpus], tmp_path / "store", base_iri=BASE, partition_bytes=20_000, claims=CLAIMS)
    # a duplicate row in another partition is mapped twice (the store keeps one copy), so chunks may count it
    assert (report.papers, report.rejected) == (2, 1) and report.chunks in (100, 101)
    assert _quads(tmp_path / "store") == local_build
    reject = json.loads((tmp_path / "store.rejects.jsonl").read_text())
    assert reject["line"] == 61 and "invalid JSON" in reject["reason"]


def test_process_pool_build_equals_the_local_build(corpus: Path, local_build: list[str], tmp_path: Path) -> None:
    report = build_sharded(
        [corpus], tmp_path / "store", base_iri=BASE, scheduler="processes", workers=2, partition_bytes=50_000,
        claims=CLAIMS,
    )
    assert (report.papers, report.rejected) == (2, 1)
    assert _quads(tmp_path / "store") == local_build
    assert not list(tmp_path.glob(".store.shards-*"))  # the temporary shards are gone


def test_shards_only_writes_n_quads_that_load_into_the_same_graph(
    corpus: Path, local_build: list[str], tmp_path: Path
) -> None:
    import pyoxigraph as ox

    shards = tmp_path / "shards"
    code = main(["build", "--input", str(corpus), "--shards-only", str(shards), "--partition-mb", "1"])
    assert code == 3  # the broken line is rejected
    assert not (tmp_path / "store").exists()
    files = sorted(shards.glob("*.nq"))
    assert {f.name for f in files} >= {"taxonomy.nq", "stubs.nq", "part-00000.nq"}
    # an independent loader: pyoxigraph's own in-memory store reads the shards
    memory = ox.Store()
    for file in files:
        memory.load(path=str(file), format=ox.RdfFormat.N_QUADS)
    assert sorted(f"{q} .\n" for q in memory) == local_build


def test_dask_local_cluster_build_equals_the_local_build(corpus: Path, local_build: list[str], tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    report = build_sharded(
        [corpus], tmp_path / "store", base_iri=BASE, scheduler="dask", workers=2, partition_bytes=20_000,
        claims=CLAIMS,
    )
    assert (report.papers, report.rejected) == (2, 1)
    assert _quads(tmp_path / "store") == local_build
    assert StoreDirectory(tmp_path / "store").build_info()["scheduler"] == "dask"
