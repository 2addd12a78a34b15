"""The SPARQL endpoint over HTTP on the sample store, read-only (no update token): protocol rules,
negotiation, the dataset, caching, CORS, gzip, operations and the UI page."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.build import build
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

TITLES = (
    "PREFIX dcterms: <http://purl.org/dc/terms/> "
    "SELECT ?paper ?title WHERE { ?paper dcterms:title ?title } ORDER BY ?paper"
)
CONSTRUCT = (
    "PREFIX dcterms: <http://purl.org/dc/terms/> "
    "CONSTRUCT { ?paper dcterms:title ?title } WHERE { ?paper dcterms:title ?title }"
)
LLAMA = f"{DEFAULT_BASE_IRI}paper/2307.09288"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("endpoint")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    live = start_server(root / "store", root)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def titles_in_process(store: Path) -> list[tuple[str, str]]:
    """What pyoxigraph gives for TITLES on the same store, opened in this process."""
    from kg.store import StoreDirectory

    opened = StoreDirectory(store).open()
    try:
        return [(s["paper"].value, s["title"].value) for s in opened.query(TITLES)]
    finally:
        opened.close()


def test_get_post_form_and_post_direct_give_the_same_rows(server: LiveServer, client: httpx.Client) -> None:
    expected = titles_in_process(server.store)
    assert len(expected) == 2
    answers = [
        client.get("/sparql", params={"query": TITLES}),
        client.post("/sparql", data={"query": TITLES}),
        client.post("/sparql", content=TITLES, headers={"Content-Type": "application/sparql-query"}),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/sparql-results+json"
        rows = [(b["paper"]["value"], b["title"]["value"]) for b in response.json()["results"]["bindings"]]
        assert rows == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/csv;q=1, application/sparql-results+xml;q=0.9", "text/csv"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_negotiates_with_q_values(client: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": TITLES}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_select_results_parse_with_independent_parsers(server: LiveServer, client: httpx.Client) -> None:
    expected = titles_in_process(server.store)
    as_csv = client.get("/sparql", params={"query": TITLES, "format": "csv"})
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["paper", "title"]
    assert [tuple(r) for r in rows[1:]] == expected
    as_xml = client.get("/sparql", params={"query": TITLES}, headers={"Accept": "application/sparql-results+xml"})
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    results = ET.fromstring(as_xml.content).findall(".//r:result", ns)
    got = [
        (r.find("r:binding[@name='paper']/r:uri", ns).text, r.find("r:binding[@name='title']/r:literal", ns).text)
        for r in results
    ]
    assert got == expected
    as_tsv = client.get("/sparql", params={"query": TITLES, "format": "tsv"})
    parsed = ox.parse_query_results(as_tsv.content, ox.QueryResultsFormat.TSV)
    assert [(s["paper"].value, s["title"].value) for s in parsed] == expected


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        (None, "turtle"),
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_in_every_rdf_format(client: httpx.Client, accept: str | None, rdflib_format: str) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    if accept:
        assert response.headers["content-type"].split(";")[0] == accept
    graph = Graph().parse(data=response.text, format=rdflib_format)
    assert len(graph) == 2


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": "nt"}, headers={"Accept": "text/turtle"})
    assert response.headers["content-type"].startswith("application/n-triples")
    response = client.get("/sparql", params={"query": TITLES, "format": "xml"}, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")


def test_unacceptable_type_is_406_with_a_message(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": TITLES}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "acceptable" in response.text
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"})
    assert response.status_code == 406


def test_malformed_query_is_400_with_line_and_column(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n ?s ?p }"})
    assert response.status_code == 400
    assert "2:" in response.text and "malformed query" in response.text


def test_unknown_body_type_is_415(client: httpx.Client) -> None:
    response = client.post("/sparql", content="ASK {}", headers={"Content-Type": "application/x-whatever"})
    assert response.status_code == 415


def test_default_graph_is_the_union_unless_graphs_are_named(client: httpx.Client) -> None:
    ask = f"ASK {{ <{LLAMA}> ?p ?o }}"
    assert client.get("/sparql", params={"query": ask}).json()["boolean"] is True
    own_graph = f"{DEFAULT_BASE_IRI}graph/2307.09288"
    other = f"{DEFAULT_BASE_IRI}graph/2307.09042"
    assert client.get("/sparql", params={"query": ask, "default-graph-uri": own_graph}).json()["boolean"] is True
    assert client.get("/sparql", params={"query": ask, "default-graph-uri": other}).json()["boolean"] is False
    named = f"ASK {{ GRAPH <{own_graph}> {{ <{LLAMA}> ?p ?o }} }}"
    assert client.get("/sparql", params={"query": named, "named-graph-uri": other}).json()["boolean"] is False
    assert client.get("/sparql", params={"query": named, "named-graph-uri": own_graph}).json()["boolean"] is True


def test_union_default_graph_never_repeats_a_row(client: httpx.Client) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    rows = client.get("/sparql", params={"query": query, "format": "tsv"}).text.splitlines()[1:]
    assert len(rows) == len(set(rows))


def test_updates_are_refused_without_a_configured_token(server: LiveServer, client: httpx.Client) -> None:
    update = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
    for headers in ({}, {"Authorization": "Bearer anything"}):
        response = client.post(
            "/sparql", content=update, headers={**headers, "Content-Type": "application/sparql-update"}
        )
        assert response.status_code == 403, response.text
    assert client.get("/sparql", params={"update": update}).status_code == 405
    assert client.put("/store", params={"graph": "http://example.org/g"}, content=b"",
                      headers={"Content-Type": "text/turtle"}).status_code == 403
    ask = "ASK { GRAPH <http://example.org/g> { ?s ?p ?o } }"
    assert client.get("/sparql", params={"query": ask}).json()["boolean"] is False


def test_graph_store_get_and_head_read_a_paper_graph(client: httpx.Client) -> None:
    graph = f"{DEFAULT_BASE_IRI}graph/2307.09288"
    response = client.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    parsed = Graph().parse(data=response.text, format="nt")
    assert len(parsed) > 100
    head = client.head("/store", params={"graph": graph})
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/turtle")
    assert client.get("/store", params={"graph": "http://example.org/none"}).status_code == 404


def test_etag_and_last_modified_give_304_on_a_repeat(client: httpx.Client) -> None:
    first = client.get("/sparql", params={"query": TITLES})
    etag = first.headers["etag"]
    assert first.headers["last-modified"]
    again = client.get("/sparql", params={"query": TITLES}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/sparql", params={"query": TITLES, "format": "csv"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_cors_allows_any_origin(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200


def test_gzip_when_asked(server: LiveServer) -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    raw = httpx.get(f"{server.sparql}", params={"query": query}, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    plain = httpx.get(f"{server.sparql}", params={"query": query}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(json.loads(plain.content)["results"]["bindings"]) > 1000
    # httpx already decoded the first; check the wire bytes are really gzip.
    with httpx.stream("GET", server.sparql, params={"query": query}, headers={"Accept-Encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert json.loads(gzip.decompress(wire)) == json.loads(plain.content)


def test_service_description_for_rdf_clients_and_ui_for_browsers(server: LiveServer, client: httpx.Client) -> None:
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert f"<{server.sparql}>" in turtle.text
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert Graph().parse(data=jsonld.text, format="json-ld")
    page = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/yasgui/yasgui.min.js" in page.text
    assert "Ordered authors of a paper" in page.text
    assert client.get("/static/yasgui/yasgui.min.js").status_code == 200
    assert client.get("/").text == page.text


def test_health_metrics_and_openapi(client: httpx.Client) -> None:
    assert client.get("/health").json()["status"] == "ok"
    client.get("/sparql", params={"query": "ASK {}"})
    metrics = client.get("/metrics").text
    assert 'kg_http_requests_total{method="GET",route="/sparql",status="200"}' in metrics
    assert "kg_http_request_duration_seconds_bucket" in metrics
    assert "kg_query_timeouts_total" in metrics
    spec = client.get("/openapi.json").json()
    assert {"/sparql", "/store", "/store/{path}", "/health", "/metrics"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_query_length_is_capped(client: httpx.Client) -> None:
    long_query = "ASK {}" + " " * 200_000
    response = client.post("/sparql", content=long_query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert "limit" in response.text
