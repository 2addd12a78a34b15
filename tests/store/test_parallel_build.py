"""The parallel build (worker processes map, this process loads) equals the one-process build in every output."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg import build as build_module
from kg.build import _line_owner, _owner, build
from kg.errors import InputError, StoreError
from kg.store import LOADER_NICENESS, StoreDirectory

BASE = "https://w3id.org/arxiv-kg/"
SYNTH = Path(__file__).resolve().parents[2] / "bench" / "synth.py"


def _corpus(tmp: Path, shape: str) -> Path:
    """A synthetic corpus, shuffled (a paper's rows far apart), with every kind of row a build must reject."""
    source = tmp / f"synth-{shape}.jsonl"
    subprocess.run(
        [sys.executable, str(SYNTH), "--papers", "60", "--shape", shape, "--chunks-per-paper", "5", "--seed", "3",
         "--output", str(source)],
        check=True, capture_output=True,
    )
    lines = source.read_text(encoding="utf-8").splitlines()
    random.Random(11).shuffle(lines)
    key = "id" if shape == "arxiv-snapshot" else "doi"
    changed = json.loads(lines[5])
    changed["title"] = "A different title for the same paper"
    escaped = json.loads(lines[8])  # the key written with an escape: the workers must decode it to place the row
    lines += [
        lines[3],  # a duplicate row
        json.dumps(changed),  # metadata that differs from the paper's earlier rows
        json.dumps(escaped).replace(f'"{key}"', '"\\u00' + f'{ord(key[0]):x}' + key[1:] + '"'),
        "{broken json",
        "",
        json.dumps({**json.loads(lines[9]), key: "not-an-id"}),
        json.dumps({**json.loads(lines[10]), "title": ""}),
        "[1, 2]",
    ]
    random.Random(12).shuffle(lines)
    path = tmp / f"corpus-{shape}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _outcome(tmp: Path, corpus: Path, name: str, workers: int) -> dict:
    store = tmp / name
    report = build([corpus], store, base_iri=BASE, claims=False, map_workers=workers,
                   output_path=tmp / f"{name}.nq")
    output = (tmp / f"{name}.nq").read_text(encoding="utf-8").splitlines()
    return {
        "report": (report.rows, report.papers, report.chunks, report.duplicate_rows, report.quads, report.rejected),
        "quads": sorted(StoreDirectory(store).open().nquads()),
        "output": sorted(output),
        "output_lines": len(output),
        "rejects": (tmp / f"{name}.rejects.jsonl").read_text(encoding="utf-8"),
    }


@pytest.mark.parametrize("shape", ["ai-arxiv", "arxiv-snapshot"])
def test_parallel_build_gives_the_same_store_report_output_and_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setattr(build_module, "PARALLEL_MIN_BYTES", 0)
    corpus = _corpus(tmp_path, shape)
    serial = _outcome(tmp_path, corpus, "serial", 1)
    assert serial["report"][5] >= 5
    rejects = [json.loads(line) for line in serial["rejects"].splitlines()]
    assert [r["line"] for r in rejects] == sorted(r["line"] for r in rejects)
    assert any("metadata differs" in r["reason"] and r["field"] == "title" for r in rejects)
    for workers in (2, 3):
        parallel = _outcome(tmp_path, corpus, f"parallel{workers}", workers)
        assert parallel == serial, workers
    assert serial["output_lines"] == len(set(serial["output"]))  # shared facts written once


def test_a_failing_worker_fails_the_build_and_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "PARALLEL_MIN_BYTES", 0)
    store = tmp_path / "s"
    build([], store, base_iri=BASE, claims=False, map_workers=1)
    before = StoreDirectory(store).current_version()
    broken = tmp_path / "broken.arrow"
    broken.write_bytes(b"not arrow at all" * 100)
    with pytest.raises(InputError, match="not a readable Arrow file"):
        build([broken], store, base_iri=BASE, claims=False, map_workers=2)
    assert StoreDirectory(store).current_version() == before
    assert len(StoreDirectory(store).open()) > 0
    with pytest.raises(InputError, match="not a readable Parquet file"):
        broken.rename(tmp_path / "broken.parquet")
        build([tmp_path / "broken.parquet"], store, base_iri=BASE, claims=False, map_workers=2)
    assert StoreDirectory(store).current_version() == before


@pytest.mark.parametrize("line", [
    b'{"doi": "2302.13971v2", "chunk": "a \\"doi\\": \\"1706.03762\\" in the text"}',
    b'{"chunk": "x", "doi": "2307.09288"}',
    b'{"\\u0064oi": "2307.09288", "doi": "1706.03762"}',
    b'{"doi": "1706.03762", "references": [{"doi": "2307.09288"}]}',
    b'{"doi": "2303.0\\u0038774"}',
    b'{"doi": 17}',
    b"{broken",
    b"[1, 2]",
])
def test_a_line_is_placed_as_its_decoded_row_would_be(line: bytes) -> None:
    try:
        raw = json.loads(line)
    except ValueError:
        raw = None
    for shares in (2, 3, 5):
        assert _line_owner(line, "doi", shares) == _owner(raw, "doi", shares)


def _lines(n: int) -> list[str]:
    return [f"<https://e.org/s{i}> <https://e.org/p> \"value {i}\" <https://e.org/g{i % 7}> .\n" for i in range(n)]


# how the stream is loaded: all through the pipe, all in spooled segments, segments then the pipe
LOADING = {
    "piped": {"spool_bytes": 0},
    "segments": {"segment_bytes": 20_000},
    "segments-then-piped": {"segment_bytes": 20_000, "spool_bytes": 100_000},
}


@pytest.mark.parametrize("loading", LOADING)
def test_overlapped_loading_loads_every_quad(tmp_path: Path, loading: str) -> None:
    lines = _lines(60_000)  # about 5 MB: many times the pipe's buffer and the segments
    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version() as writer:
        writer.bulk_load_overlapped(iter(lines), **LOADING[loading])
    assert sorted(directory.open().nquads()) == sorted(lines)


@pytest.mark.parametrize("loading", LOADING)
def test_a_producer_error_stops_overlapped_loading_and_keeps_the_store(tmp_path: Path, loading: str) -> None:
    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version() as writer:
        writer.bulk_load_overlapped(_lines(10))
    before = directory.current_version()

    def broken():
        yield from _lines(3000)
        raise InputError("the input broke")

    with pytest.raises(InputError, match="the input broke"), directory.new_version() as writer:
        writer.bulk_load_overlapped(broken(), **LOADING[loading])
    assert directory.current_version() == before and len(directory.open()) == 10


@pytest.mark.parametrize("loading", LOADING)
def test_bad_n_quads_fail_overlapped_loading_with_a_store_error(tmp_path: Path, loading: str) -> None:
    directory = StoreDirectory(tmp_path / "s")
    with pytest.raises(StoreError), directory.new_version() as writer:
        writer.bulk_load_overlapped([*_lines(2000), "<not a quad\n", *_lines(100)], **LOADING[loading])
    assert directory.current_version() is None


def test_bad_n_quads_early_in_a_long_piped_stream_stop_the_producer_with_a_store_error(tmp_path: Path) -> None:
    produced = 0

    def counted():
        nonlocal produced
        for line in [*_lines(100), "<not a quad\n", *_lines(200_000)]:
            produced += 1
            yield line

    directory = StoreDirectory(tmp_path / "s")
    with pytest.raises(StoreError), directory.new_version() as writer:
        writer.bulk_load_overlapped(counted(), spool_bytes=0)
    assert directory.current_version() is None
    assert produced < 200_000  # the writer stopped when the loader did, it did not write into the void


def test_a_failing_write_into_the_pipe_fails_the_load_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version() as writer:
        writer.bulk_load_overlapped(_lines(10))
    before = directory.current_version()
    real_write = os.write

    def failing_write(fd: int, data: bytes) -> int:  # a disk or pipe error cannot be made to happen here
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(StoreError, match="feed the bulk load"), directory.new_version() as writer:
        writer.bulk_load_overlapped(iter(_lines(100_000)), spool_bytes=0)
    assert directory.current_version() == before and len(directory.open()) == 10


def _thread_nice_values() -> set[int]:
    values = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            values.add(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return values


def test_the_loader_yields_to_the_thread_producing_the_quads(tmp_path: Path) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    seen: set[int] = set()

    def producing():
        yield from _lines(30_000)
        time.sleep(0.2)  # the loader has read the pipe dry by now and waits for more
        seen.update(_thread_nice_values())
        yield from _lines(10)

    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version() as writer:
        writer.bulk_load_overlapped(producing(), spool_bytes=0)
    assert os.getpriority(os.PRIO_PROCESS, 0) == own  # this thread kept its priority
    assert min(19, own + LOADER_NICENESS) in seen


def test_overlapped_loading_leaves_no_spool_beside_the_versions(tmp_path: Path) -> None:
    directory = StoreDirectory(tmp_path / "s")
    with directory.new_version() as writer:
        writer.bulk_load_overlapped(iter(_lines(2000)))
    assert [p.name for p in directory.versions_dir.iterdir() if p.is_dir()] == [directory.current_version().name]
