"""The published ontology: every kg: term the graph uses is declared, labelled, commented and aligned."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from kg.ontology import context_path, jsonld_context, ontology_path, render_html, shapes_path
from kg.store import KgStore
from kg.vocab import KG, ONTOLOGY_IRI

REPO = Path(__file__).resolve().parents[2]
KG_NS = KG.iri


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_path(), format="turtle")


def declared_terms(ontology: rdflib.Graph) -> set[str]:
    return {str(s) for s in ontology.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(KG_NS)}


def kg_terms_in_store(store: KgStore) -> set[str]:
    query = f"""
        SELECT DISTINCT ?t WHERE {{
            {{ ?s ?t ?o }} UNION {{ ?s ?p ?t }}
            FILTER (isIRI(?t) && STRSTARTS(STR(?t), "{KG_NS}"))
        }}"""
    return {solution["t"].value for solution in store.query(query)}


def test_every_kg_term_in_built_data_is_declared_with_label_and_comment(
    ontology: rdflib.Graph, sample_store: KgStore
) -> None:
    used = kg_terms_in_store(sample_store)
    assert {KG.Authorship, KG.Chunk, KG.arxivId, KG.position, KG.primaryCategory} <= used
    for term in sorted(used):
        node = rdflib.URIRef(term)
        assert (node, RDF.type, None) in ontology, f"{term} is used in the built graph but not declared in kg.ttl"
        assert ontology.value(node, RDFS.label), f"{term} has no rdfs:label"
        assert ontology.value(node, RDFS.comment), f"{term} has no rdfs:comment"


def test_every_kg_term_of_the_vocab_module_is_declared(ontology: rdflib.Graph) -> None:
    missing = {KG[name] for name in KG.terms} - declared_terms(ontology)
    assert not missing, f"kg/vocab.py names terms that kg.ttl does not declare: {sorted(missing)}"


def test_claims_and_entity_terms_are_declared(ontology: rdflib.Graph) -> None:
    expected = {
        "Claim", "statedIn", "claimType", "negated", "hedged", "confidence", "mentions", "subject",
        "relation", "object", "onDataset", "onMetric", "value", "Task", "Method", "Metric", "Dataset",
        "OtherScientificTerm",
    }
    assert {KG_NS + name for name in expected} <= declared_terms(ontology)


def test_every_property_has_domain_and_range_and_every_term_label_and_comment(ontology: rdflib.Graph) -> None:
    for term in sorted(declared_terms(ontology)):
        node = rdflib.URIRef(term)
        assert ontology.value(node, RDFS.label) is not None, term
        assert ontology.value(node, RDFS.comment) is not None, term
        assert ontology.value(node, RDFS.isDefinedBy) == rdflib.URIRef(ONTOLOGY_IRI), term
        kinds = set(ontology.objects(node, RDF.type))
        if kinds & {OWL.ObjectProperty, OWL.DatatypeProperty}:
            assert ontology.value(node, RDFS.domain) is not None, f"{term} has no rdfs:domain"
            assert ontology.value(node, RDFS.range) is not None, f"{term} has no rdfs:range"


def test_every_class_specialises_a_standard_vocabulary(ontology: rdflib.Graph) -> None:
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if not str(cls).startswith(KG_NS):
            continue
        ancestors = set(ontology.transitive_objects(cls, RDFS.subClassOf)) - {cls}
        assert any(not str(a).startswith(KG_NS) for a in ancestors), f"{cls} is aligned to no standard class"


def test_alignments_named_in_the_data_model_hold(ontology: rdflib.Graph) -> None:
    def sub(a: str, b: str, p: rdflib.URIRef = RDFS.subClassOf) -> bool:
        return rdflib.URIRef(b) in set(ontology.transitive_objects(rdflib.URIRef(a), p))

    assert sub(KG.Chunk, "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#Context")
    assert sub(KG.Claim, "http://schema.org/Claim")
    assert sub(KG.Authorship, "http://purl.org/spar/pro/RoleInTime")
    assert sub(KG.primaryCategory, "http://purl.org/dc/terms/subject", RDFS.subPropertyOf)
    assert sub(KG.author, "http://purl.org/spar/pro/isHeldBy", RDFS.subPropertyOf)


def test_ontology_has_version_iri_and_version_info(ontology: rdflib.Graph) -> None:
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in ontology
    version_iri = ontology.value(onto, OWL.versionIRI)
    info = ontology.value(onto, OWL.versionInfo)
    assert version_iri is not None and info is not None
    assert str(version_iri).endswith("/" + str(info))


def test_repository_ontology_folder_is_the_package_data() -> None:
    for path in (ontology_path(), shapes_path(), context_path()):
        assert (REPO / "ontology" / path.name).read_bytes() == path.read_bytes()


def test_jsonld_context_short_keys_expand_to_the_data_model(sample_store: KgStore) -> None:
    paper = "https://w3id.org/arxiv-kg/paper/2307.09042"
    document = {
        "@context": jsonld_context()["@context"],
        "id": paper,
        "type": ["Paper", "ScholarlyArticle"],
        "title": "t",
        "arxivId": "2307.09042",
        "authors": ["https://w3id.org/arxiv-kg/person/xuena-wang"],
        "cites": ["https://w3id.org/arxiv-kg/paper/2303.18223"],
        "categories": ["https://w3id.org/arxiv-kg/category/cs.AI"],
        "issued": "2023-07-18",
    }
    graph = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    predicates = {str(p) for p in graph.predicates()}
    assert predicates == {
        str(RDF.type), "http://purl.org/dc/terms/title", KG.arxivId, "http://purl.org/dc/terms/creator",
        "http://purl.org/spar/cito/cites", "http://purl.org/dc/terms/subject", "http://purl.org/dc/terms/issued",
    }
    # every expanded triple is the shape the store holds: the same predicates with the same kinds of object
    for _s, p, o in graph.triples((None, None, None)):
        if p == RDF.type or str(p).endswith("title"):
            continue
        ask = sample_store.query(f"ASK {{ <{paper}> <{p}> {o.n3()} }}")
        assert bool(ask), f"{p} {o.n3()} is not how the store says it"


def test_jsonld_context_compacts_store_data_to_short_keys(sample_store: KgStore) -> None:
    paper = "https://w3id.org/arxiv-kg/paper/2307.09042"
    triples = sample_store.query(f"CONSTRUCT {{ <{paper}> ?p ?o }} WHERE {{ <{paper}> ?p ?o }}")
    graph = rdflib.Graph().parse(data=b"".join(f"{t} .\n".encode() for t in triples), format="nt")
    compacted = json.loads(graph.serialize(format="json-ld", context=jsonld_context()["@context"]))
    assert {"title", "abstract", "authors", "cites", "arxivId", "categories", "primaryCategory"} <= set(compacted)


class _Sections(HTMLParser):
    """Collects the ids of the page's term sections and the links inside each."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and values.get("id"):
            self._current = values["id"]
            self.sections[self._current] = []
        elif tag == "a" and self._current is not None:
            self.sections[self._current].append(values.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._current = None


def test_html_reference_page_has_a_section_for_every_term(ontology: rdflib.Graph) -> None:
    page = render_html()
    text = html.unescape(page)
    parser = _Sections()
    parser.feed(page)
    for term in declared_terms(ontology):
        local = term[len(KG_NS):]
        assert local in parser.sections, f"no section for kg:{local}"
        node = rdflib.URIRef(term)
        assert str(ontology.value(node, RDFS.comment)) in text
    assert "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#Context" in parser.sections["Chunk"]
    assert "#Claim" in parser.sections["statedIn"]  # our own terms link to their section on the page
    assert "0.1.0" in page
