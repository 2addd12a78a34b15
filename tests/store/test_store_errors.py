"""A store that is missing, corrupt, locked or on a full disk: a clear error, the previous store untouched."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.errors import StoreError, StoreLockedError, StoreNotFoundError
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI
from tests.conftest import select


def kg(*args: str, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, preexec_fn=preexec)


def test_a_missing_store_raises_not_found(tmp_path):
    with pytest.raises(StoreNotFoundError, match="no store here"):
        StoreDirectory(tmp_path / "none").open()


def test_a_corrupt_store_is_a_clear_error_without_traceback(tmp_path):
    build([], tmp_path / "s", base_iri=DEFAULT_BASE_IRI)
    version = StoreDirectory(tmp_path / "s").current_version()
    for path in version.iterdir():
        if path.is_file():
            path.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(StoreError):
        StoreDirectory(tmp_path / "s").open()
    proc = kg("stats", "--store", str(tmp_path / "s"))
    assert proc.returncode == 1
    assert "cannot open the store" in proc.stderr and "Traceback" not in proc.stderr


def test_a_store_locked_by_another_writer_is_reported_as_locked(tmp_path):
    build([], tmp_path / "s", base_iri=DEFAULT_BASE_IRI)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
         str(StoreDirectory(tmp_path / "s").current_version())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError, match="locked by another writer"):
            StoreDirectory(tmp_path / "s").open(read_only=False)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def _tiny_file_size_limit() -> None:
    """Writes past 20 kB fail with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_a_build_on_a_full_disk_fails_clearly_and_keeps_the_previous_store(tmp_path):
    store_dir = tmp_path / "s"
    build([], store_dir, base_iri=DEFAULT_BASE_IRI)
    before = StoreDirectory(store_dir).current_version()
    proc = kg("build", "--store", str(store_dir), preexec=_tiny_file_size_limit)
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr
    assert StoreDirectory(store_dir).current_version() == before
    assert not list((store_dir / "versions").glob("*.building"))
    rows = select(StoreDirectory(store_dir).open(), "SELECT (COUNT(*) AS ?n) WHERE { ?p a fabio:Preprint }")
    assert int(rows[0]["n"]) == 2


def _hostile_rows(sample_rows: list[dict]) -> list[str]:
    base = sample_rows[0]

    def row(n: int, **changes) -> dict:
        return dict(base, doi=f"2401.{n:05d}", id=f"2401.{n:05d}#0", **{"chunk-id": 0}, **changes)

    return [
        json.dumps(row(1, chunk="token " * 200_000)),  # a 1.2 MB chunk
        json.dumps(row(2, authors=", ".join(f"Author Number{i}" for i in range(10_000)))),
        json.dumps(row(3, title="Z\u0301\u0301alg\u0336o \u202eRTL\u202c \u200bzero \U0001f600",
                       authors="Ｆｕｌｌ Ｗｉｄｔｈ, Zoë Ü")),
        json.dumps(row(4)).replace('"title": "Llama', '"title": "\\ud800 lone \\udfff Llama'),
        json.dumps(row(5)).replace('"chunk": "', '"chunk": "NUL\\u0000 inside '),
        '{"doi": "2401.00006\\u0000", "title": "x"}',
        '{"doi": "2401.00007", "title": "\\u0000", "authors": "A"}',
    ]


def test_huge_and_adversarial_records_load_or_are_rejected_with_a_reason(tmp_path, sample_rows):
    path = Path(tmp_path / "hostile.jsonl")
    path.write_text("\n".join(_hostile_rows(sample_rows)) + "\n", encoding="utf-8")
    report = build([path], tmp_path / "s", base_iri=DEFAULT_BASE_IRI)
    assert report.papers == 5 and report.rejected == 2
    rejects = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(6, "doi"), (7, "title")]
    store = StoreDirectory(tmp_path / "s").open()
    authors = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p kg:arxivId '2401.00002' ; kg:authorship ?a }")
    assert int(authors[0]["n"]) == 10_000
    texts = [r["t"] for r in select(store, "SELECT ?t WHERE { ?c nif:isString ?t }")]
    assert max(map(len, texts)) == len("token " * 200_000)
    assert not any("\x00" in t or any(0xD800 <= ord(c) <= 0xDFFF for c in t) for t in texts)
    names = {r["n"] for r in select(store, "SELECT ?n WHERE { ?p foaf:name ?n }")}
    assert {"Full Width", "Zoë Ü"} <= names
    assert os.path.getsize(path) > 1_000_000
