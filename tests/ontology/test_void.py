"""The VoID + PROV description: parses with rdflib, and its counts are the store's SPARQL counts."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, VOID

from kg.settings import Settings
from kg.store import KgStore, StoreDirectory
from kg.void import void_triples, void_turtle

BASE = "https://w3id.org/arxiv-kg/"
DATASET = rdflib.URIRef(BASE + ".well-known/void#dataset")


def count(store: KgStore, sparql: str) -> int:
    return int(next(iter(store.query(sparql)))["n"].value)


@pytest.fixture(scope="module")
def void(sample_store_dir: Path, sample_store: KgStore) -> rdflib.Graph:
    text = void_turtle(sample_store, Settings(), StoreDirectory(sample_store_dir).build_info())
    return rdflib.Graph().parse(data=text, format="turtle")


def integer(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.URIRef) -> int:
    value = graph.value(subject, predicate)
    assert value is not None, f"no {predicate} on {subject}"
    return int(value)


def test_dataset_totals_equal_sparql_counts(void: rdflib.Graph, sample_store: KgStore) -> None:
    assert (DATASET, RDF.type, VOID.Dataset) in void
    assert integer(void, DATASET, VOID.triples) == count(sample_store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert integer(void, DATASET, VOID.triples) == len(sample_store)
    assert integer(void, DATASET, VOID.entities) == count(
        sample_store, f'SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), "{BASE}") }}'
    )
    assert integer(void, DATASET, VOID.distinctSubjects) == count(
        sample_store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"
    )


def test_class_partitions_count_the_instances_of_each_class(void: rdflib.Graph, sample_store: KgStore) -> None:
    partitions = {void.value(p, VOID["class"]): integer(void, p, VOID.entities)
                  for p in void.objects(DATASET, VOID.classPartition)}
    assert partitions[rdflib.URIRef("http://purl.org/spar/fabio/Preprint")] == 2
    assert partitions[rdflib.URIRef("https://w3id.org/arxiv-kg/ontology#Chunk")] == 100
    for cls, n in partitions.items():
        assert n == count(sample_store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{cls}> }}"), cls
    assert integer(void, DATASET, VOID.classes) == len(partitions)


def test_property_partitions_count_the_triples_of_each_property(void: rdflib.Graph, sample_store: KgStore) -> None:
    partitions = {void.value(p, VOID.property): integer(void, p, VOID.triples)
                  for p in void.objects(DATASET, VOID.propertyPartition)}
    assert partitions[rdflib.URIRef("http://purl.org/spar/cito/cites")] == 55 + 12
    for prop, n in partitions.items():
        assert n == count(sample_store, f"SELECT (COUNT(*) AS ?n) {{ ?s <{prop}> ?o }}"), prop
    assert sum(partitions.values()) == len(sample_store)


def test_access_points_licence_and_source(void: rdflib.Graph) -> None:
    settings = Settings()
    assert void.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef(BASE + "sparql")
    assert void.value(DATASET, VOID.dataDump) == rdflib.URIRef(BASE + "dump.nq.gz")
    assert str(void.value(DATASET, VOID.uriSpace)) == BASE
    assert void.value(DATASET, DCTERMS.license) == rdflib.URIRef(settings.dataset_license)
    assert void.value(DATASET, DCTERMS.source) == rdflib.URIRef("https://huggingface.co/datasets/jamescalam/ai-arxiv-chunked")
    assert rdflib.URIRef("https://w3id.org/arxiv-kg/ontology") in set(void.objects(DATASET, VOID.vocabulary))
    description = rdflib.URIRef(BASE + ".well-known/void")
    assert void.value(description, FOAF.primaryTopic) == DATASET


def test_linksets_to_arxiv_doi_and_wikidata(void: rdflib.Graph, sample_store: KgStore) -> None:
    linksets = {void.value(ls, VOID.objectsTarget): ls for ls in void.objects(DATASET, VOID.subset)
                if (ls, RDF.type, VOID.Linkset) in void and void.value(ls, VOID.linkPredicate) != rdflib.URIRef(
                    "https://w3id.org/arxiv-kg/ontology#pdf")}
    spaces = {str(void.value(target, VOID.uriSpace)): ls for target, ls in linksets.items()}
    assert set(spaces) == {"https://arxiv.org/abs/", "https://doi.org/", "http://www.wikidata.org/entity/"}
    assert integer(void, spaces["https://arxiv.org/abs/"], VOID.triples) == 2
    assert integer(void, spaces["https://doi.org/"], VOID.triples) == 2
    assert integer(void, spaces["http://www.wikidata.org/entity/"], VOID.triples) == count(
        sample_store, "SELECT (COUNT(*) AS ?n) { ?s <https://w3id.org/arxiv-kg/ontology#arxivId> ?o }"
    )


def test_provenance_names_build_time_and_software_version(
    void: rdflib.Graph, sample_store_dir: Path
) -> None:
    info = StoreDirectory(sample_store_dir).build_info()
    build = void.value(DATASET, PROV.wasGeneratedBy)
    assert (build, RDF.type, PROV.Activity) in void
    ended = void.value(build, PROV.endedAtTime)
    assert ended.datatype == rdflib.XSD.dateTime
    assert ended.toPython().strftime("%Y-%m-%dT%H:%M:%SZ") == info["built_at"]
    software = void.value(build, PROV.wasAssociatedWith)
    assert (software, RDF.type, PROV.SoftwareAgent) in void
    assert str(void.value(software, rdflib.OWL.versionInfo)) == importlib.metadata.version("arxiv-kg")


def test_description_follows_the_configured_base_iri(sample_store: KgStore) -> None:
    settings = Settings(base_iri="https://example.org/kg/")
    subjects = {s for s, _, _ in void_triples(sample_store, settings, {})}
    assert "<https://example.org/kg/.well-known/void#dataset>" in subjects
    assert all(s.startswith("<https://example.org/kg/.well-known/void") for s in subjects), subjects
