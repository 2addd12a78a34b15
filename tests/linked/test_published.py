"""Published documents over HTTP: the ontology, the JSON-LD context, the shapes, VoID (also linked from
the Service Description) and the streamed N-Quads dump."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import OWL

from kg.ontology import jsonld_context, ontology_turtle, shapes_path
from kg.store import KgStore
from kg.vocab import DEFAULT_BASE_IRI, ONTOLOGY_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer

from tests.linked.conftest import OTHER_BASE

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_ontology_is_turtle_for_rdf_clients_and_the_reference_page_for_a_browser(ld_server: LiveServer) -> None:
    turtle = httpx.get(ld_server.url + "/ontology", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "Accept" in turtle.headers["vary"]
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) in graph
    assert turtle.text == ontology_turtle()
    for accept, fmt in (("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
                        ("application/rdf+xml", "xml")):
        other = httpx.get(ld_server.url + "/ontology", headers={"Accept": accept})
        assert len(rdflib.Graph().parse(data=other.content, format=fmt)) == len(graph)
    page = httpx.get(ld_server.url + "/ontology", headers={"Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="Claim"' in page.text and 'href="/ontology?format=ttl"' in page.text
    # The version IRI resolves too.
    version = graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)
    assert httpx.get(ld_server.url + "/ontology/" + str(version).rsplit("/", 1)[-1]).text == ontology_turtle()


def test_ontology_namespace_resolves_under_another_base(other_base_server: LiveServer) -> None:
    response = httpx.get(other_base_server.url + "/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.text == ontology_turtle()


def test_context_and_shapes_are_published(ld_server: LiveServer) -> None:
    context = httpx.get(ld_server.url + "/context.jsonld")
    assert context.headers["content-type"].startswith("application/ld+json")
    assert context.json() == jsonld_context()
    assert {"title", "authors", "cites"} <= set(context.json()["@context"])
    shapes = httpx.get(ld_server.url + "/shapes.ttl")
    assert shapes.content == shapes_path().read_bytes()
    assert len(rdflib.Graph().parse(data=shapes.text, format="turtle")) > 50


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                             ("application/n-triples", "nt")])
def test_void_parses_and_counts_the_store_triples(
    ld_server: LiveServer, sample_store: KgStore, accept: str, fmt: str
) -> None:
    response = httpx.get(ld_server.url + "/.well-known/void", headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format=fmt)
    dataset = URIRef(DEFAULT_BASE_IRI + ".well-known/void#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert int(graph.value(dataset, VOID.triples)) == len(sample_store)
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(DEFAULT_BASE_IRI + "sparql")
    assert graph.value(dataset, VOID.dataDump) == URIRef(DEFAULT_BASE_IRI + "dump.nq.gz")
    assert len(list(graph.objects(dataset, VOID.classPartition))) > 5


def test_void_follows_the_configured_base(other_base_server: LiveServer) -> None:
    graph = rdflib.Graph().parse(data=httpx.get(other_base_server.url + "/.well-known/void", timeout=60).text,
                                 format="turtle")
    dataset = URIRef(OTHER_BASE + ".well-known/void#dataset")
    assert graph.value(dataset, VOID.uriSpace) == Literal(OTHER_BASE)


def test_service_description_names_the_void_dataset(ld_server: LiveServer) -> None:
    response = httpx.get(ld_server.sparql, headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    dataset = graph.value(service, SD.defaultDataset)
    assert dataset == URIRef(DEFAULT_BASE_IRI + ".well-known/void#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    void_doc = graph.value(dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"))
    assert str(void_doc) == ld_server.url + "/.well-known/void"
    assert httpx.get(str(void_doc), timeout=60).status_code == 200


def test_dump_streams_gzipped_nquads_that_reload_to_the_same_quads(
    ld_server: LiveServer, sample_store: KgStore, tmp_path: Path
) -> None:
    target = tmp_path / "dump.nq.gz"
    with httpx.stream("GET", ld_server.url + "/dump.nq.gz", timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/gzip"
        assert "content-length" not in response.headers  # streamed, not buffered
        with open(target, "wb") as out:
            for piece in response.iter_raw():
                out.write(piece)
    reloaded = ox.Store(str(tmp_path / "reloaded"))
    assert len(reloaded) == 0
    with gzip.open(target, "rb") as handle:
        reloaded.bulk_load(handle, ox.RdfFormat.N_QUADS)
    assert len(reloaded) == len(sample_store)
    assert set(reloaded) == set(sample_store.raw)
