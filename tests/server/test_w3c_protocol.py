"""The W3C SPARQL 1.1 Protocol (34) and Graph Store Protocol (13) tests, run from their manifests
(a copy in ``tests/data/w3c``) against ``kg serve`` on an empty store, over HTTP."""

from __future__ import annotations

import csv
import io
import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

W3C = Path(__file__).resolve().parents[1] / "data" / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TOKEN = "w3c-test-token"

# {test IRI: reason}: tests that cannot pass here. Empty: every test runs.
SKIPS: dict[str, str] = {}

STATUS = {
    HTS.OK: range(200, 201),
    HTS.Created: range(201, 202),
    HTS.NoContent: range(204, 205),
    HTS.NotFound: range(404, 405),
    HTS.StatusCode2xx: range(200, 300),
    HTS.StatusCode3xx: range(300, 400),
    HTS.StatusCode4xx: range(400, 500),
}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: list[URIRef]
    expected_format: str | None = None
    expected_boolean: bool | None = None
    expected_headers: dict[str, str] = field(default_factory=dict)
    expected_body: str | None = None
    location_variable: str | None = None


@dataclass
class W3CTest:
    iri: str
    name: str
    graph_data: list[tuple[Path, str]]
    exchanges: list[Exchange]


def _headers(graph: Graph, node) -> dict[str, str]:  # type: ignore[no-untyped-def]
    headers = {}
    for list_node in graph.objects(node, HT.headers):
        for header in Collection(graph, list_node):
            headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
    return headers


def _body(graph: Graph, node) -> str | None:  # type: ignore[no-untyped-def]
    body = graph.value(node, HT.body)
    return None if body is None else str(graph.value(body, CNT.chars))


def load_tests(manifest: Path) -> list[W3CTest]:
    """The tests of a manifest, following ``mf:include``."""
    graph = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    tests: list[W3CTest] = []
    for included in graph.objects(None, MF.include):
        for item in Collection(graph, included):
            tests += load_tests(Path(str(item).removeprefix("file://")))
    for entries in graph.objects(None, MF.entries):
        for test in Collection(graph, entries):
            graph_data = [
                (Path(str(graph.value(d, UT.graph)).removeprefix("file://")), str(graph.value(d, RDFS.label)))
                for d in graph.objects(test, UT.graphData)
            ]
            action = graph.value(test, MF.action)
            exchanges = []
            for request in Collection(graph, graph.value(action, HT.requests)):
                response = graph.value(request, HT.resp)
                boolean = graph.value(response, MF.expectedBoolean)
                fmt = graph.value(response, MF.expectedFormat)
                location = graph.value(response, MF.expectedLocation)
                exchanges.append(
                    Exchange(
                        method=str(graph.value(request, HT.methodName)),
                        path=str(graph.value(request, HT.absolutePath)),
                        headers=_headers(graph, request),
                        body=_body(graph, request),
                        statuses=list(graph.objects(response, MF.expectedStatus)),
                        expected_format=None if fmt is None else str(fmt),
                        expected_boolean=None if boolean is None else bool(boolean.toPython()),
                        expected_headers=_headers(graph, response),
                        expected_body=_body(graph, response),
                        location_variable=None if location is None else str(location),
                    )
                )
            tests.append(W3CTest(str(test), str(graph.value(test, MF.name)), graph_data, exchanges))
    return tests


PROTOCOL_TESTS = load_tests(W3C / "protocol" / "manifest.ttl")
GSP_TESTS = load_tests(W3C / "graph-store-protocol" / "manifest.ttl")


def test_manifests_hold_every_test() -> None:
    assert (len(PROTOCOL_TESTS), len(GSP_TESTS)) == (34, 13)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("w3c")
    live = start_server(root / "store", root, token=TOKEN)
    yield live
    live.stop()


def rewrite(path: str) -> str:
    """Our paths: ``/sparql/`` is ``/sparql``, ``/gsp`` is ``/store``."""
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/"):]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp"):]
    return path


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_boolean(response: httpx.Response) -> bool:
    if media_type(response) == "application/sparql-results+json":
        return json.loads(response.text)["boolean"]
    root = ET.fromstring(response.content)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"  # type: ignore[union-attr]


def check_tabular(response: httpx.Response) -> None:
    kind = media_type(response)
    if kind == "application/sparql-results+json":
        assert "head" in json.loads(response.text)
    elif kind == "application/sparql-results+xml":
        ET.fromstring(response.content)
    else:
        list(csv.reader(io.StringIO(response.text), delimiter="," if kind == "text/csv" else "\t"))


def check(exchange: Exchange, response: httpx.Response) -> None:
    context = f"{exchange.method} {exchange.path}: {response.status_code} {response.text[:300]!r}"
    assert any(response.status_code in STATUS[s] for s in exchange.statuses), context
    if exchange.expected_format == "boolean":
        assert media_type(response) in BOOLEAN_TYPES, context
        if exchange.expected_boolean is not None:
            assert parse_boolean(response) is exchange.expected_boolean, context
    elif exchange.expected_format == "tabular":
        assert media_type(response) in TABULAR_TYPES, context
        check_tabular(response)
    elif exchange.expected_format == "RDF":
        assert media_type(response) in RDF_TYPES, context
        Graph().parse(data=response.text, format=RDF_TYPES[media_type(response)])
    for name, value in exchange.expected_headers.items():
        got = response.headers.get(name, "")
        if name == "content-type":
            assert got.split(";")[0].strip().lower() == value.split(";")[0].strip().lower(), context
        else:
            assert got == value, context
    if exchange.expected_body is not None:
        expected = Graph().parse(data=exchange.expected_body, format="turtle")
        got = Graph().parse(data=response.text, format=RDF_TYPES[media_type(response)])
        assert isomorphic(expected, got), f"{context}\nexpected:\n{exchange.expected_body}"


def run_test(server: LiveServer, test: W3CTest) -> None:
    if test.iri in SKIPS:
        pytest.skip(SKIPS[test.iri])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        update = {**auth, "Content-Type": "application/sparql-update"}
        reset = client.post("/sparql", content="DROP ALL", headers=update)
        assert reset.status_code == 204, reset.text
        for path, graph_iri in test.graph_data:
            put = client.put("/store", params={"graph": graph_iri}, content=path.read_bytes(),
                             headers={**auth, "Content-Type": "application/n-triples"})
            assert put.status_code in (201, 204), put.text
        variables: dict[str, str] = {}
        for exchange in test.exchanges:
            path, body = rewrite(exchange.path), exchange.body
            for name, value in variables.items():
                path = path.replace(name, value)
                body = body.replace(name, value) if body is not None else None
            response = client.request(
                exchange.method, path, headers={**exchange.headers, **auth},
                content=body.encode("utf-8") if body is not None else None,
            )
            check(exchange, response)
            if exchange.location_variable:
                variables[exchange.location_variable] = response.headers["location"]


@pytest.mark.parametrize("test", PROTOCOL_TESTS, ids=[t.iri.rsplit("#", 1)[-1] for t in PROTOCOL_TESTS])
def test_w3c_protocol(server: LiveServer, test: W3CTest) -> None:
    run_test(server, test)


@pytest.mark.parametrize("test", GSP_TESTS, ids=[t.iri.rsplit("#", 1)[-1] for t in GSP_TESTS])
def test_w3c_graph_store_protocol(server: LiveServer, test: W3CTest) -> None:
    run_test(server, test)


def test_w3c_service_description_names_the_endpoint(server: LiveServer) -> None:
    """The three service description tests: GET returns RDF with a matching ``sd:endpoint``."""
    response = httpx.get(f"{server.url}/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(None, RDF.type, sd.Service)
    assert (service, sd.endpoint, URIRef(server.sparql)) in graph
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert Literal  # rdflib parsed it as RDF: the "returns RDF" test
