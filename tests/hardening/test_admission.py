"""Admission control and limits on a live server: a bounded queue (503 + Retry-After past capacity), a
cap per client address (429), request body size (413), query length (413), result rows, query time."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

# Runs for minutes on the sample if nobody stops it.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "ASK { ?s ?p ?o }"
TIMEOUT_S = 2.0
CAPACITY = 4
PER_CLIENT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("admission")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI, claims=False)
    live = start_server(
        root / "store", root, workers=1, timeout_s=TIMEOUT_S,
        KG_MAX_PENDING_QUERIES=str(CAPACITY), KG_MAX_CLIENT_QUERIES=str(PER_CLIENT),
        KG_MAX_BODY_BYTES="4000", KG_MAX_QUERY_LENGTH="2000", KG_MAX_RESULT_ROWS="10",
    )
    yield live
    live.stop()


def client_at(address: str) -> httpx.Client:
    """A client whose connections come from another loopback address (all of 127.0.0.0/8 is local)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def ask(address: str, server: LiveServer, query: str) -> httpx.Response:
    with client_at(address) as client:
        return client.get(server.sparql, params={"query": query})


def test_a_client_past_its_cap_gets_429_while_others_get_in(server: LiveServer) -> None:
    started = threading.Barrier(PER_CLIENT + 1)

    def heavy() -> httpx.Response:
        with client_at("127.0.0.2") as client:
            started.wait()
            return client.get(server.sparql, params={"query": HEAVY})

    with ThreadPoolExecutor(PER_CLIENT) as pool:
        running = [pool.submit(heavy) for _ in range(PER_CLIENT)]
        started.wait()
        import time

        time.sleep(0.5)  # both heavy queries are in the house
        refused = ask("127.0.0.2", server, LIGHT)
        other = ask("127.0.0.3", server, LIGHT)
        answers = [f.result() for f in running]
    assert refused.status_code == 429
    assert "limit is 2" in refused.text and refused.headers["retry-after"] == "1"
    assert other.status_code == 200  # another address waits for the worker and is answered
    assert [a.status_code for a in answers] == [503, 503]  # stopped at the time limit...
    assert all("limit" in a.text or "busy" in a.text for a in answers)  # ...or left waiting, with a message


def test_a_flood_past_capacity_gets_503_with_retry_after_and_the_server_lives(server: LiveServer) -> None:
    addresses = [f"127.0.1.{i}" for i in range(1, 13)]
    with ThreadPoolExecutor(len(addresses)) as pool:
        answers = list(pool.map(lambda a: ask(a, server, HEAVY), addresses))
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {503}, statuses
    full = [a for a in answers if "at capacity" in a.text]
    assert len(full) >= len(addresses) - CAPACITY
    assert all(a.headers["retry-after"] == "1" for a in full)
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert ask("127.0.0.4", server, LIGHT).json()["boolean"] is True
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'route="/sparql",status="503"' in metrics


def test_a_body_over_the_limit_gets_413(server: LiveServer) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    response = httpx.post(server.sparql, content=big, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413 and "limit is 4000 bytes" in response.text


def test_a_chunked_body_over_the_limit_gets_413(server: LiveServer) -> None:
    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    response = httpx.post(server.sparql, content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413 and "over the limit of 4000 bytes" in response.text


def test_a_query_over_the_length_limit_gets_413(server: LiveServer) -> None:
    long = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 2500
    response = httpx.get(server.sparql, params={"query": long})
    assert response.status_code == 413 and "the limit is 2000" in response.text


def test_an_anonymous_result_over_the_row_cap_is_refused_with_a_message(server: LiveServer) -> None:
    response = httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 403 and "10" in response.text
    small = httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 10


def test_a_query_over_the_time_limit_is_stopped(server: LiveServer) -> None:
    start = time.monotonic()
    response = ask("127.0.0.5", server, HEAVY)
    assert response.status_code == 503 and "limit" in response.text
    assert response.headers["retry-after"] == "1"
    assert time.monotonic() - start < TIMEOUT_S + 5
