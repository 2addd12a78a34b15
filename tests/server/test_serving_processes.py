"""``kg serve`` with several HTTP processes on one port, and a read-only server following a rebuild."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.sources.readers import sample_path
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

PAPERS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p <https://w3id.org/arxiv-kg/ontology#arxivId> ?id ; " \
         "<http://purl.org/dc/terms/title> ?t }"

COUNT_RQ = "# title: Count the triples\n# description: How big the graph is.\nSELECT (COUNT(*) AS ?n) { ?s ?p ?o }\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("processes")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    queries = root / "queries"
    queries.mkdir()
    (queries / "count.rq").write_text(COUNT_RQ)
    live = start_server(root / "store", root, http_workers=2, workers=1, KG_QUERIES_DIR=str(queries))
    yield live
    live.stop()


def papers(server: LiveServer) -> int:
    response = httpx.get(server.sparql, params={"query": PAPERS})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_two_http_processes_answer_on_one_port(server: LiveServer) -> None:
    with httpx.Client(timeout=30) as client:
        pids = set()
        for _ in range(40):
            # A fresh connection each time, so the kernel spreads them over the processes.
            response = client.get(server.sparql, params={"query": PAPERS}, headers={"Connection": "close"})
            assert response.status_code == 200
            pids.add(client.get(f"{server.url}/health", headers={"Connection": "close"}).json()["pid"])
    assert len(pids) == 2
    time.sleep(0.3)
    logged = [json.loads(line.split("kg.server.access: ", 1)[1]) for line in server.log.read_text().splitlines()
              if "kg.server.access: " in line]
    assert len([x for x in logged if x["path"] == "/sparql"]) >= 40  # every process writes the access log


def test_a_read_only_server_follows_a_rebuild(server: LiveServer, tmp_path: Path) -> None:
    assert papers(server) == 2
    rows = [json.loads(line) for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    first = rows[0]["id"]
    subset = tmp_path / "one-paper.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in rows if r["id"] == first), encoding="utf-8")
    build([subset], server.store, base_iri=DEFAULT_BASE_IRI)
    # Every process, on its next query, serves the new version.
    for _ in range(6):
        assert papers(server) == 1


def test_several_processes_refuse_a_writable_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(tmp_path / "s"), "--http-workers", "2"],
        env={"KG_UPDATE_TOKEN": "x", "PATH": ""}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "read-only" in result.stderr


def test_example_queries_come_from_kg_queries_dir(server: LiveServer) -> None:
    listed = httpx.get(f"{server.url}/queries").json()
    assert listed == [{
        "name": "count", "title": "Count the triples", "description": "How big the graph is.",
        "query": COUNT_RQ,
    }]
    assert "Count the triples" in httpx.get(f"{server.url}/").text
