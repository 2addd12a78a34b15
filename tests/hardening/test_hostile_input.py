"""Hostile input against the live server: Hypothesis-generated SPARQL strings, parameters and headers, and
schemathesis over the OpenAPI description. Never a 500 or a crash: a 4xx with a message (or, for a query
that parses and runs past the time limit, the 503 that says so)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote_from_bytes

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.build import build
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

TOKEN = "hostile-test-token"
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# Pieces of SPARQL recombined into strings that are often nearly valid (the interesting kind).
PIECES = st.sampled_from([
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "?s", "?p", "?o", "*", ".", ";", ",",
    "<urn:x>", "<https://w3id.org/arxiv-kg/paper/2307.09288>", '"a"', '"\\u0000"', "'x'@en", "1", "-1e999",
    "FILTER", "regex(?o, \"(a+)+$\")", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "<http://127.0.0.1:1/>",
    "VALUES", "BIND", "AS", "COUNT", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET", "PREFIX", "kg:", "a",
    "INSERT DATA", "DELETE", "LOAD", "CLEAR ALL", "DROP", "BASE", "<>", "\\", "\u0000", "\ud800", "\U0001f600",
    "LIMIT 99999999999999999999", "?x", "STR(", "IRI(", "CONCAT(", "^^", "[]", "_:b",
])
SPARQLISH = st.lists(PIECES, max_size=25).map(" ".join)
TEXT = st.text(max_size=300)
QUERY = st.one_of(SPARQLISH, TEXT)
HEADER = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(str.strip)
ACCEPT = st.one_of(HEADER, st.sampled_from([
    "text/csv", "application/sparql-results+json;q=0", "*/*;q=abc", "text/turtle, */*;q=0.1", "",
    "application/ld+json", "image/png", "text/html", ";;;", "*/*;q=1.5",
]))
FORMAT = st.one_of(st.none(), HEADER, st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "nq", "jsonld", "x"]))
CONTENT_TYPE = st.one_of(HEADER, st.sampled_from([
    "application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
    "application/sparql-query; charset=latin-1", "multipart/form-data; boundary=x", "text/turtle",
]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("hostile")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI, claims=False)
    live = start_server(root / "store", root, token=TOKEN, workers=2, timeout_s=2, KG_FEDERATION_ALLOW="")
    yield live
    live.stop()
    log = live.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def http(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def encoded(pairs: list[tuple[str, str]]) -> str:
    """A query string or form body; lone surrogates go out as the invalid UTF-8 bytes they stand for."""
    return "&".join(
        f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote_from_bytes(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in pairs
    )


def assert_clean(response: httpx.Response) -> None:
    """A 2xx/3xx, or a 4xx with a message; a 503 only when a query that runs was stopped at the limit."""
    status = response.status_code
    if status == 503:
        assert "limit" in response.text or "busy" in response.text, response.text
        return
    assert status < 500, (status, response.text[:500])
    if status >= 400 and response.request.method != "HEAD":  # a HEAD answer has no body by definition
        assert response.text.strip(), f"a {status} without a message"


@EXAMPLES
@given(query=QUERY, accept=ACCEPT, fmt=FORMAT)
def test_generated_queries_by_get_never_get_a_server_error(http: httpx.Client, query, accept, fmt) -> None:
    params = [("query", query)] if fmt is None else [("query", query), ("format", fmt)]
    assert_clean(http.get("/sparql?" + encoded(params), headers={"Accept": accept}))


@EXAMPLES
@given(body=st.one_of(QUERY.map(lambda q: q.encode("utf-8", "surrogatepass")), st.binary(max_size=300)),
       content_type=CONTENT_TYPE, accept=ACCEPT)
def test_generated_post_bodies_never_get_a_server_error(http: httpx.Client, body, content_type, accept) -> None:
    assert_clean(http.post("/sparql", content=body, headers={"Content-Type": content_type, "Accept": accept}))


@EXAMPLES
@given(update=QUERY, graphs=st.lists(TEXT, max_size=3), auth=st.sampled_from([None, TOKEN, "wrong"]))
def test_generated_updates_never_get_a_server_error(http: httpx.Client, update, graphs, auth) -> None:
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    form = [("update", update)] + [("using-graph-uri", g) for g in graphs]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert_clean(http.post("/sparql", content=encoded(form), headers=headers))


@EXAMPLES
@given(names=st.lists(st.sampled_from(["query", "default-graph-uri", "named-graph-uri", "format", "update",
                                       "graph", "default", "x"]), max_size=6),
       values=st.lists(TEXT, min_size=6, max_size=6))
def test_generated_parameters_never_get_a_server_error(http: httpx.Client, names, values) -> None:
    params = list(zip(names, values, strict=False))
    assert_clean(http.get("/sparql?" + encoded(params)))
    assert_clean(http.get("/store?" + encoded(params)))


@EXAMPLES
@given(graph=TEXT, body=st.binary(max_size=200), content_type=CONTENT_TYPE,
       method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]))
def test_generated_graph_store_requests_never_get_a_server_error(http: httpx.Client, graph, body, content_type,
                                                                method) -> None:
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"}
    assert_clean(http.request(method, "/store?" + encoded([("graph", graph)]), content=body, headers=headers))


def test_schemathesis_finds_no_server_error(server: LiveServer) -> None:
    """Every operation of /openapi.json, with schemathesis's generated cases (valid and invalid)."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for operation in operations:

        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=server.url, timeout=30)
            status = response.status_code
            if status >= 500 and not (status == 503 and ("limit" in response.text or "busy" in response.text)):
                failures.append((case.method, case.formatted_path, case.query, status, response.text[:200]))

        check()
    assert not failures, failures[:5]
