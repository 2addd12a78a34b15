"""Limits and writes on a server with an update token, a 1.5 s query timeout and a 500-row cap:
timeouts that stop the work, a body cut when streaming had begun, the anonymous row cap, clients
that disconnect, slow queries that do not block others, and writes visible to the very next query."""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

TOKEN = "limits-token"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FLOOD = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ALL = "SELECT * WHERE { ?s ?p ?o }"
UPDATE = {"Content-Type": "application/sparql-update"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("limits")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    # A generous in-process bound, so that a loaded machine still proves the small queries fast.
    live = start_server(root / "store", root, token=TOKEN, timeout_s=1.5, KG_MAX_RESULT_ROWS="500",
                        KG_QUERY_INLINE_MS="100")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def metric(client: httpx.Client, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", client.get("/metrics").text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


def test_timeout_before_the_first_byte_is_503_and_the_worker_is_replaced(client: httpx.Client) -> None:
    killed = metric(client, "kg_query_workers_killed_total")
    start = time.monotonic()
    response = client.get("/sparql", params={"query": ENDLESS})
    assert response.status_code == 503
    assert "1.5 s limit" in response.text
    assert time.monotonic() - start < 5
    assert metric(client, "kg_query_workers_killed_total") == killed + 1
    assert metric(client, "kg_query_timeouts_total") >= 1
    # The pool is whole again: queries keep working, on every worker.
    for _ in range(4):
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_timeout_after_streaming_began_breaks_the_body(server: LiveServer) -> None:
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", server.sparql, params={"query": FLOOD, "format": "tsv"}, headers=server.auth(),
                     timeout=30) as response,
    ):
        assert response.status_code == 200
        for _ in response.iter_bytes():
            pass


def test_anonymous_row_cap_is_a_clear_error(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 501", "format": "tsv"})
    assert response.status_code == 403
    assert "500 rows" in response.text and "LIMIT" in response.text
    under = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500", "format": "tsv"})
    assert under.status_code == 200
    assert len(under.text.splitlines()) == 501


def test_row_cap_hit_after_streaming_began_breaks_the_body(server: LiveServer) -> None:
    # 500 rows of JSON do not fill the first 64 KiB chunk; CONSTRUCT of long chunk texts does.
    query = (
        "PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> "
        "CONSTRUCT { ?c nif:isString ?t . ?c <http://example.org/n> ?n } "
        "WHERE { ?c nif:isString ?t . ?s ?p ?n }"
    )
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", server.sparql, params={"query": query},
                                                                 timeout=30) as response:
        assert response.status_code == 200
        for _ in response.iter_bytes():
            pass


def test_token_holders_are_not_capped(client: httpx.Client, server: LiveServer) -> None:
    response = client.get("/sparql", params={"query": ALL, "format": "tsv"}, headers=server.auth())
    assert response.status_code == 200
    assert len(response.text.splitlines()) > 2000


def test_a_client_that_disconnects_stops_the_work(server: LiveServer, client: httpx.Client) -> None:
    killed = metric(client, "kg_query_workers_killed_total")
    timeouts = metric(client, "kg_query_timeouts_total")
    with httpx.stream("GET", server.sparql, params={"query": FLOOD, "format": "tsv"}, headers=server.auth()) as r:
        assert r.status_code == 200
        next(r.iter_raw())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and metric(client, "kg_query_workers_killed_total") == killed:
        time.sleep(0.05)
    assert metric(client, "kg_query_workers_killed_total") == killed + 1
    # Killed because the client left, not by the timeout.
    assert metric(client, "kg_query_timeouts_total") == timeouts


def test_a_slow_query_does_not_block_other_clients(client: httpx.Client, server: LiveServer) -> None:
    deadline = time.monotonic() + 30  # workers killed by earlier tests are back
    while metric(client, "kg_query_workers_idle") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    slow = threading.Thread(target=lambda: httpx.get(server.sparql, params={"query": ENDLESS}, timeout=30))
    slow.start()
    time.sleep(0.2)
    for _ in range(3):
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert client.get("/health").status_code == 200
    # The fast queries were answered while the slow one still ran (it ends at the 1.5 s timeout).
    assert slow.is_alive()
    slow.join()


def test_update_needs_the_right_token_and_changes_nothing_otherwise(client: httpx.Client) -> None:
    update = "INSERT DATA { GRAPH <http://example.org/t> { <http://example.org/s> <http://example.org/p> 1 } }"
    ask = {"query": "ASK { GRAPH <http://example.org/t> { ?s ?p ?o } }"}
    assert client.post("/sparql", content=update, headers=UPDATE).status_code == 401
    wrong = client.post("/sparql", content=update, headers={**UPDATE, "Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert client.post("/sparql", data={"update": update}).status_code == 401
    assert client.put("/store", params={"graph": "http://example.org/t"}, content=b"<a:b> <a:c> <a:d> .",
                      headers={"Content-Type": "application/n-triples"}).status_code == 401
    assert client.get("/sparql", params=ask).json()["boolean"] is False


def test_every_write_is_visible_to_the_very_next_query(client: httpx.Client, server: LiveServer) -> None:
    auth = server.auth()
    graph = "http://example.org/visible"
    count = {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}
    for n in range(1, 7):
        if n % 2:
            response = client.post(
                "/sparql", headers={**UPDATE, **auth},
                content=f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s{n}> <http://example.org/p> {n} }} }}",
            )
        else:
            response = client.post(
                "/store", params={"graph": graph}, headers={**auth, "Content-Type": "text/turtle"},
                content=f"<http://example.org/s{n}> <http://example.org/p> {n} .".encode(),
            )
        assert response.status_code in (201, 204), response.text
        # Every worker must see it, whichever takes the query.
        for _ in range(3):
            got = client.get("/sparql", params=count).json()["results"]["bindings"][0]["n"]["value"]
            assert int(got) == n
    assert client.delete("/store", params={"graph": graph}, headers=auth).status_code == 204
    assert client.get("/sparql", params=count).json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert client.get("/store", params={"graph": graph}).status_code == 404


def test_a_query_proven_fast_runs_in_the_server_process_and_a_write_makes_it_prove_itself_again(
    client: httpx.Client, server: LiveServer
) -> None:
    graph = "http://example.org/proven"
    query = {"query": f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <http://example.org/s> ?p ?o }} }}"}
    tsv = {"Accept": "text/tab-separated-values"}
    answers = []
    for value in (1, 2):
        put = client.put("/store", params={"graph": graph}, headers={**server.auth(), "Content-Type": "text/turtle"},
                         content=f"<http://example.org/s> <http://example.org/p> {value} .".encode())
        assert put.status_code in (201, 204)
        before = metric(client, "kg_queries_in_process_total")
        first = client.get("/sparql", params=query, headers=tsv)  # a worker answers, and proves it fast
        assert metric(client, "kg_queries_in_process_total") == before  # a new generation: not proven yet
        again = [client.get("/sparql", params=query, headers=tsv) for _ in range(3)]
        assert metric(client, "kg_queries_in_process_total") == before + 3
        assert {r.text for r in again} == {first.text} == {f"?o\n{value}\n"}
        assert {r.headers["etag"] for r in again} == {first.headers["etag"]}
        answers.append(first.text)
    assert answers == ["?o\n1\n", "?o\n2\n"]


def test_a_query_that_ran_into_the_limit_never_runs_in_the_server_process(client: httpx.Client) -> None:
    before = metric(client, "kg_queries_in_process_total")
    assert [client.get("/sparql", params={"query": ENDLESS}).status_code for _ in range(2)] == [503, 503]
    assert metric(client, "kg_queries_in_process_total") == before


def test_conditional_get_sees_a_write(client: httpx.Client, server: LiveServer) -> None:
    query = {"query": "SELECT * WHERE { GRAPH <http://example.org/etag> { ?s ?p ?o } }"}
    etag = client.get("/sparql", params=query).headers["etag"]
    assert client.get("/sparql", params=query, headers={"If-None-Match": etag}).status_code == 304
    put = client.put("/store", params={"graph": "http://example.org/etag"}, headers={
        **server.auth(), "Content-Type": "text/turtle"}, content=b"<http://example.org/a> <http://example.org/b> 1 .")
    assert put.status_code == 201
    after = client.get("/sparql", params=query, headers={"If-None-Match": etag})
    assert after.status_code == 200 and len(after.json()["results"]["bindings"]) == 1


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024  # type: ignore[union-attr]
        stack += [int(c) for c in children]
    return total


def test_a_huge_select_streams_at_once_in_flat_memory(server: LiveServer) -> None:
    # 2,000-odd quads squared: millions of rows, never materialized; this server cuts it at 1.5 s.
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
    before = tree_rss(server.process.pid)
    peak, received, first, sampled = before, 0, None, 0.0
    start = time.monotonic()
    with contextlib.suppress(httpx.RemoteProtocolError), httpx.stream(
        "GET", server.sparql, params={"query": query, "format": "tsv"}, headers=server.auth(), timeout=30
    ) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += len(chunk)
            now = time.monotonic() - start
            first = first or now
            if now - sampled > 0.1:
                peak, sampled = max(peak, tree_rss(server.process.pid)), now
    # Rows arrived long before the whole result could exist, and the server did not grow with them.
    assert first is not None and first < 1.5
    assert received > 200_000
    assert peak - before < 100_000_000, f"server memory grew by {(peak - before) / 1e6:.0f} MB"


def test_service_to_an_endpoint_off_the_allowlist_is_refused_before_any_connection(
    client: httpx.Client, server: LiveServer
) -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403, response.text
        assert endpoint in response.text
        update = (
            f"INSERT {{ GRAPH <http://example.org/x> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
        )
        refused = client.post("/sparql", content=update, headers={**UPDATE, **server.auth()})
        assert refused.status_code == 403, refused.text
        with pytest.raises(TimeoutError):
            listener.accept()
