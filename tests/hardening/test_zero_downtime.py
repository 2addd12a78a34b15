"""Rebuilds under load: `kg build` and `kg update` on the served store fail no request, the server moves
to the new version by itself, old versions go once nobody uses them, `kg backup` copies a live store."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.sources.readers import sample_path
from kg.store import KEEP_VERSIONS, StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

PAPERS = (
    "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p <https://w3id.org/arxiv-kg/ontology#arxivId> ?id ; "
    "<http://purl.org/dc/terms/title> ?t }"
)


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


class QueryLoop:
    """Client threads asking for the paper count over and over; every answer is recorded."""

    def __init__(self, server: LiveServer, clients: int = 4) -> None:
        self.server = server
        self.statuses: Counter[int | str] = Counter()
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(clients)]

    def _run(self, i: int) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                try:
                    if i % 2:  # half by GET (the fast path), half by POST (the FastAPI routes)
                        response = client.get(self.server.sparql, params={"query": PAPERS})
                    else:
                        response = client.post(self.server.sparql, data={"query": PAPERS})
                    status: int | str = response.status_code
                    n = int(response.json()["results"]["bindings"][0]["n"]["value"]) if status == 200 else None
                except Exception as err:  # a refused connection or a broken body is a failure too
                    status, n = type(err).__name__, None
                with self._lock:
                    self.statuses[status] += 1
                    if n is not None:
                        self.counts.append(n)

    def __enter__(self) -> QueryLoop:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


def count(server: LiveServer) -> int:
    response = httpx.get(server.sparql, params={"query": PAPERS}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def wait_for_count(server: LiveServer, expected: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while count(server) != expected:
        assert time.monotonic() < deadline, f"the server still answers {count(server)} papers, not {expected}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    rows = [json.loads(line) for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    first = rows[0]["doi"]
    one = root / "one-paper.jsonl"
    one.write_text("".join(json.dumps(r) + "\n" for r in rows if r["doi"] == first), encoding="utf-8")
    other = root / "other-paper.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in rows if r["doi"] != first), encoding="utf-8")
    return {"one": one, "other": other}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("zero-downtime")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI, claims=False)
    live = start_server(root / "store", root, workers=2)
    yield live
    live.stop()


def test_queries_in_a_loop_through_a_build_and_an_update_never_fail(server: LiveServer, inputs) -> None:
    assert count(server) == 2
    with QueryLoop(server) as loop:
        time.sleep(0.5)
        kg("build", "--store", str(server.store), "--input", str(inputs["one"]), "--no-claims")
        wait_for_count(server, 1)  # the server moved to the new version by itself
        time.sleep(0.3)
        kg("update", "--store", str(server.store), "--input", str(inputs["other"]))
        wait_for_count(server, 2)
        time.sleep(0.3)
    assert set(loop.statuses) == {200}, loop.statuses
    assert loop.statuses[200] > 20
    # Each answer came whole from one version or the other: never a mixture.
    assert set(loop.counts) <= {1, 2} and 1 in loop.counts


def test_old_versions_are_removed_once_no_query_uses_them(server: LiveServer, inputs) -> None:
    directory = StoreDirectory(server.store)
    for _ in range(3):
        build([inputs["one"]], server.store, base_iri=DEFAULT_BASE_IRI, claims=False)
        count(server)
        count(server)  # both query workers (round robin) move on
    deadline = time.monotonic() + 20
    while len(list(p for p in directory.versions_dir.iterdir() if p.is_dir())) > KEEP_VERSIONS:
        assert time.monotonic() < deadline, sorted(p.name for p in directory.versions_dir.iterdir())
        time.sleep(0.2)
    assert count(server) == 1


def test_a_version_a_reader_still_has_open_is_kept_until_it_lets_go(tmp_path: Path, inputs) -> None:
    directory = StoreDirectory(tmp_path / "store")
    build([inputs["one"]], directory.root, base_iri=DEFAULT_BASE_IRI, claims=False)
    reader = directory.open(read_only=True)
    first = reader.path
    rows = reader.query(PAPERS)  # a result still being read
    for _ in range(KEEP_VERSIONS + 1):
        build([inputs["other"]], directory.root, base_iri=DEFAULT_BASE_IRI, claims=False)
    assert first.is_dir(), "a build removed a version that a reader had open"
    assert int(next(iter(rows))["n"].value) == 1
    assert len(reader) > 0
    del reader, rows
    assert first in directory.remove_unused_versions()
    assert not first.exists()
    assert len([p for p in directory.versions_dir.iterdir() if p.is_dir()]) == KEEP_VERSIONS


def test_a_backup_of_a_served_store_is_a_consistent_store_of_its_own(server: LiveServer, inputs, tmp_path) -> None:
    with QueryLoop(server, clients=2) as loop:
        builder = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "build", "--store", str(server.store), "--input", str(inputs["other"]),
             "--no-claims"], stderr=subprocess.PIPE, text=True,
        )
        backups = []
        for i in range(3):  # before, during and (likely) after the swap
            kg("backup", "--store", str(server.store), "--output", str(tmp_path / f"b{i}"))
            backups.append(tmp_path / f"b{i}")
        assert builder.wait(300) == 0, builder.stderr.read()
    assert set(loop.statuses) == {200}, loop.statuses
    for path in backups:
        copy = StoreDirectory(path)
        store = copy.open()
        n = int(next(iter(store.query(PAPERS)))["n"].value)
        assert n in (1, 2)
        original = Path(copy.build_info()["backup_of"])
        assert original.name == copy.current_version().name
        if original.exists():  # the version it copied, if not removed since: the same quads
            source = StoreDirectory(server.store).open(version=original)
            assert source.path == original and len(source) == len(store)
    live = start_server(backups[-1], tmp_path, workers=1)  # a backup is a store `kg serve` serves as is
    try:
        assert count(live) in (1, 2)
    finally:
        live.stop()


def test_a_backup_refuses_a_target_that_holds_files(server: LiveServer, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = subprocess.run([sys.executable, "-m", "kg.cli", "backup", "--store", str(server.store), "--output",
                             str(tmp_path / "full")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "not empty" in result.stderr and "Traceback" not in result.stderr


def test_a_writable_server_follows_a_build_too(tmp_path: Path, inputs) -> None:
    build([inputs["one"]], tmp_path / "store", base_iri=DEFAULT_BASE_IRI, claims=False)
    live = start_server(tmp_path / "store", tmp_path, token="s3cret", workers=1)
    try:
        assert count(live) == 1
        with QueryLoop(live, clients=2) as loop:
            kg("build", "--store", str(live.store), "--no-claims")
            wait_for_count(live, 2)
        assert set(loop.statuses) == {200}, loop.statuses
        insert = "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"
        response = httpx.post(live.sparql, data={"update": insert}, headers=live.auth(), timeout=30)
        assert response.status_code == 204, response.text
        ask = httpx.get(live.sparql, params={"query": "ASK { GRAPH <urn:g> { <urn:a> ?p ?o } }"}, timeout=30)
        assert ask.json()["boolean"] is True  # the write went to the version being served
    finally:
        live.stop()
