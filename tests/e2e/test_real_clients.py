"""Real SPARQL clients against ``kg serve`` on the sample store: SPARQLWrapper, rdflib's SPARQLStore,
and the Oxigraph server from PyPI calling us through ``SERVICE``; every answer is compared with
what pyoxigraph gives in-process on the same store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

from kg.build import build
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, free_port, start_server

PREFIXES = (
    "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
    "PREFIX kg: <https://w3id.org/arxiv-kg/ontology#> "
)
AUTHORS = PREFIXES + (
    "SELECT ?position ?name WHERE { ?paper kg:arxivId \"2307.09288\" ; kg:authorship ?a . "
    "?a kg:position ?position ; kg:author ?person . ?person foaf:name ?name } ORDER BY ?position"
)
TITLES = PREFIXES + "SELECT ?paper ?title WHERE { ?paper dcterms:title ?title } ORDER BY ?paper"
CONSTRUCT = PREFIXES + "CONSTRUCT { ?paper dcterms:title ?title } WHERE { ?paper dcterms:title ?title }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("e2e")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    live = start_server(root / "store", root)
    yield live
    live.stop()


def in_process(store: Path, query: str) -> list[tuple[str, ...]]:
    """Rows of ``query`` from pyoxigraph in this process, as lexical values."""
    opened = StoreDirectory(store).open()
    try:
        result = opened.query(query)
        names = [v.value for v in result.variables]
        return [tuple(s[n].value for n in names) for s in result]
    finally:
        opened.close()


def test_sparqlwrapper_select_json_xml_and_csv(server: LiveServer) -> None:
    expected = in_process(server.store, AUTHORS)
    assert len(expected) == 68
    client = SPARQLWrapper(server.sparql)
    client.setQuery(AUTHORS)
    client.setReturnFormat(JSON)
    rows = [(b["position"]["value"], b["name"]["value"]) for b in client.query().convert()["results"]["bindings"]]
    assert rows == expected
    client.setReturnFormat(XML)
    document = client.query().convert()
    names = [n.firstChild.data for n in document.getElementsByTagName("literal")][1::2]
    assert names == [name for _, name in expected]
    client.setReturnFormat(CSV)
    lines = client.query().convert().decode("utf-8").splitlines()
    assert lines[0] == "position,name" and len(lines) == 69


def test_sparqlwrapper_post_ask_and_construct(server: LiveServer) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setMethod(POST)
    client.setQuery(f"ASK {{ <{DEFAULT_BASE_IRI}paper/2307.09288> ?p ?o }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert {(str(s), str(o)) for s, _, o in graph} == set(in_process(server.store, TITLES))


def test_rdflib_sparqlstore_reads_the_graph(server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(server.sparql, returnFormat="json"))
    rows = [(str(r.paper), str(r.title)) for r in graph.query(TITLES)]
    assert rows == in_process(server.store, TITLES)
    paper = URIRef(f"{DEFAULT_BASE_IRI}paper/2307.09042")
    assert (paper, URIRef("http://purl.org/dc/terms/title"), None) in graph


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        pytest.fail("the oxigraph server from PyPI (dev extra) is not installed")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("query", [AUTHORS, TITLES], ids=["authors", "titles"])
def test_oxigraph_server_federates_to_us_with_service(server: LiveServer, oxigraph_server: str, query: str) -> None:
    select, _, rest = query.partition(" WHERE ")
    pattern, _, modifiers = rest.rpartition("}")
    federated = f"{select} WHERE {{ SERVICE <{server.sparql}> {pattern}}} }}{modifiers}"
    response = httpx.post(
        f"{oxigraph_server}/query", content=federated,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    names = body["head"]["vars"]
    rows = [tuple(b[n]["value"] for n in names) for b in body["results"]["bindings"]]
    assert rows == in_process(server.store, query)


def test_oxigraph_server_counts_over_our_service(server: LiveServer, oxigraph_server: str) -> None:
    query = (
        PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{server.sparql}> "
        "{ ?chunk a kg:Chunk ; dcterms:isPartOf ?paper } }"
    )
    response = httpx.post(f"{oxigraph_server}/query", data={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    count = int(response.json()["results"]["bindings"][0]["n"]["value"])
    local = PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Chunk ; dcterms:isPartOf ?p }"
    expected = in_process(server.store, local)
    assert count == int(expected[0][0]) == 100
