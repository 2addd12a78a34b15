"""Dereferenceable IRIs over HTTP: content negotiation, the descriptions' content, 404s, other bases."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import rdflib
from markupsafe import escape
from rdflib import RDF, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kg.ontology import jsonld_context
from kg.store import KgStore
from kg.vocab import DEFAULT_BASE_IRI, KG, NIF

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer

from tests.conftest import select
from tests.linked.conftest import OLD_STYLE_ID, OTHER_BASE, TOKEN

PAPER = "2307.09042"
PAPER_IRI = URIRef(DEFAULT_BASE_IRI + "paper/" + PAPER)
CITO_CITES = URIRef("http://purl.org/spar/cito/cites")
FORMATS = [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
]


def fetch(server: LiveServer, path: str, accept: str | None = "text/turtle", **kwargs: Any) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(server.url + path, headers=headers, timeout=30, **kwargs)


def graph_of(server: LiveServer, path: str, accept: str = "text/turtle", fmt: str = "turtle") -> rdflib.Graph:
    response = fetch(server, path, accept)
    assert response.status_code == 200, response.text
    return rdflib.Graph().parse(data=response.content, format=fmt)


@pytest.mark.parametrize(("accept", "media_type", "fmt"), FORMATS)
def test_paper_iri_negotiates_each_rdf_format(ld_server: LiveServer, accept: str, media_type: str, fmt: str) -> None:
    response = fetch(ld_server, f"/paper/{PAPER}", accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    graph = rdflib.Graph().parse(data=response.content, format=fmt)
    assert (PAPER_IRI, DCTERMS.title, Literal("Emotional Intelligence of Large Language Models")) in graph
    assert len(list(graph.objects(PAPER_IRI, CITO_CITES))) == 12


def test_every_format_says_the_same_triples(ld_server: LiveServer) -> None:
    graphs = [graph_of(ld_server, f"/paper/{PAPER}", accept, fmt) for accept, _, fmt in FORMATS]
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


def test_q_values_and_defaults_choose_the_format(ld_server: LiveServer) -> None:
    def kind(accept: str | None, query: str = "") -> str:
        return fetch(ld_server, f"/paper/{PAPER}{query}", accept).headers["content-type"].split(";")[0]

    assert kind("*/*") == "text/turtle"
    assert kind(None) == "text/turtle"
    assert kind("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == "text/html"
    assert kind("text/turtle;q=0.2, application/ld+json;q=0.9") == "application/ld+json"
    assert kind("application/json") == "application/ld+json"
    assert kind("text/html", "?format=nt") == "application/n-triples"
    assert fetch(ld_server, f"/paper/{PAPER}", "image/png").status_code == 406


def test_json_ld_is_compacted_with_the_published_context(ld_server: LiveServer) -> None:
    response = fetch(ld_server, f"/paper/{PAPER}", "application/ld+json")
    document = response.json()
    published = httpx.get(ld_server.url + "/context.jsonld", timeout=10).json()
    assert published == jsonld_context()
    assert document["@context"] == published["@context"]
    nodes = {node["id"]: node for node in document["@graph"]}
    paper = nodes[str(PAPER_IRI)]
    assert paper["title"] == "Emotional Intelligence of Large Language Models"
    assert len(paper["authors"]) == 5 and len(paper["cites"]) == 12
    assert paper["arxivId"] == PAPER and paper["issued"] == "2023-07-18"
    first = nodes[str(PAPER_IRI) + "/authorship/1"]
    assert first["author"] == DEFAULT_BASE_IRI + "person/xuena-wang" and int(first["position"]) == 1
    assert nodes[DEFAULT_BASE_IRI + "person/xuena-wang"]["name"] == "Xuena Wang"


def test_paper_description_is_its_cbd_with_ordered_authorships_and_labels(
    ld_server: LiveServer, sample_store: KgStore
) -> None:
    graph = graph_of(ld_server, f"/paper/{PAPER}")
    expected = select(sample_store, f"""SELECT ?p ?o WHERE {{ <{PAPER_IRI}> ?p ?o }}""")
    served = {(p, str(o)) for p, o in graph.predicate_objects(PAPER_IRI)}
    assert {(URIRef(r["p"]), str(r["o"])) for r in expected} == served
    ordered = select(sample_store, f"""SELECT ?name WHERE {{ <{PAPER_IRI}> kg:authorship ?a .
        ?a kg:position ?pos ; kg:author/foaf:name ?name }} ORDER BY ?pos""")
    positions = {}
    for authorship in graph.objects(PAPER_IRI, URIRef(KG.authorship)):
        person = graph.value(authorship, URIRef(KG.author))
        positions[int(graph.value(authorship, URIRef(KG.position)))] = str(graph.value(person, FOAF.name))
    assert [positions[i] for i in sorted(positions)] == [r["name"] for r in ordered]
    assert sorted(positions) == [1, 2, 3, 4, 5]
    category = URIRef(DEFAULT_BASE_IRI + "category/cs.AI")
    assert (category, SKOS.prefLabel, Literal("Artificial Intelligence", lang="en")) in graph
    # Labels of what it links to, nothing more about them.
    assert set(graph.predicates(category)) == {SKOS.prefLabel}


def test_person_description(ld_server: LiveServer) -> None:
    person = URIRef(DEFAULT_BASE_IRI + "person/hugo-touvron")
    graph = graph_of(ld_server, "/person/hugo-touvron")
    assert (person, RDF.type, FOAF.Person) in graph
    assert (person, FOAF.name, Literal("Hugo Touvron")) in graph
    assert set(graph.subjects()) == {person}


def test_category_description_links_its_broader_category_with_label(ld_server: LiveServer) -> None:
    category = URIRef(DEFAULT_BASE_IRI + "category/cs.CL")
    graph = graph_of(ld_server, "/category/cs.CL")
    assert (category, SKOS.notation, Literal("cs.CL")) in graph
    assert (category, SKOS.prefLabel, Literal("Computation and Language", lang="en")) in graph
    broader = graph.value(category, SKOS.broader)
    assert broader == URIRef(DEFAULT_BASE_IRI + "category/cs")
    assert graph.value(broader, SKOS.prefLabel) is not None


def test_chunk_description_holds_its_exact_text(ld_server: LiveServer, sample_store: KgStore) -> None:
    row = select(sample_store, f"""SELECT ?chunk ?text WHERE {{ ?chunk dcterms:isPartOf <{PAPER_IRI}> ;
        kg:chunkIndex ?i ; nif:isString ?text }} ORDER BY ?i LIMIT 1""")[0]
    path = row["chunk"][len(DEFAULT_BASE_IRI) - 1:]
    graph = graph_of(ld_server, path)
    chunk = URIRef(row["chunk"])
    assert str(graph.value(chunk, URIRef(NIF.isString))) == row["text"]
    assert graph.value(chunk, DCTERMS.isPartOf) == PAPER_IRI
    assert graph.value(PAPER_IRI, DCTERMS.title) is not None  # the label of the paper it belongs to


def test_claim_description_anchor_is_the_slice_of_its_dereferenced_context(
    ld_server: LiveServer, sample_store: KgStore
) -> None:
    claim = select(sample_store, f"SELECT ?c WHERE {{ ?c kg:statedIn <{PAPER_IRI}> }} ORDER BY ?c LIMIT 1")[0]["c"]
    graph = graph_of(ld_server, claim[len(DEFAULT_BASE_IRI) - 1:])
    node = URIRef(claim)
    assert (node, RDF.type, URIRef(KG.Claim)) in graph
    assert graph.value(node, URIRef(KG.statedIn)) == PAPER_IRI
    context = graph.value(node, URIRef(NIF.referenceContext))
    begin, end = int(graph.value(node, URIRef(NIF.beginIndex))), int(graph.value(node, URIRef(NIF.endIndex)))
    text = graph_of(ld_server, str(context)[len(DEFAULT_BASE_IRI) - 1:]).value(context, URIRef(NIF.isString))
    assert str(text)[begin:end] == str(graph.value(node, URIRef(NIF.anchorOf)))


def test_concept_and_mention_iris_resolve(ld_server: LiveServer, sample_store: KgStore) -> None:
    mention = select(sample_store, "SELECT ?m ?c WHERE { ?m itsrdf:taIdentRef ?c } ORDER BY ?m LIMIT 1")[0]
    graph = graph_of(ld_server, mention["m"][len(DEFAULT_BASE_IRI) - 1:])
    concept = graph.value(URIRef(mention["m"]), URIRef("http://www.w3.org/2005/11/its/rdf#taIdentRef"))
    assert str(concept) == mention["c"]
    assert graph.value(concept, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) is not None
    assert fetch(ld_server, mention["c"][len(DEFAULT_BASE_IRI) - 1:]).status_code == 200
    assert fetch(ld_server, "/scheme/arxiv").status_code == 200


def test_named_graph_iri_gives_the_graph(ld_server: LiveServer, sample_store: KgStore) -> None:
    graph = graph_of(ld_server, f"/graph/{PAPER}", "application/n-triples", "nt")
    expected = sum(1 for _ in sample_store.graph_triples(DEFAULT_BASE_IRI + "graph/" + PAPER))
    assert len(graph) == expected > 1000


@pytest.mark.parametrize(
    "path", ["/paper/9999.99999", "/person/nobody-at-all", "/nothing/here", "/paper/2307.09042/chunk/999999"]
)
def test_unknown_iri_is_404(ld_server: LiveServer, path: str) -> None:
    assert fetch(ld_server, path, "text/turtle").status_code == 404
    page = fetch(ld_server, path, "text/html")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Nothing is known about" in page.text


def test_versioned_paper_iri_redirects_to_the_paper(ld_server: LiveServer) -> None:
    response = fetch(ld_server, f"/paper/{PAPER}v2")
    assert response.status_code == 301 and response.headers["location"] == f"/paper/{PAPER}"


def test_repeat_with_etag_is_304(ld_server: LiveServer) -> None:
    first = fetch(ld_server, f"/paper/{PAPER}")
    again = httpx.get(ld_server.url + f"/paper/{PAPER}", headers={"Accept": "text/turtle",
                                                                   "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    other = httpx.get(ld_server.url + f"/paper/{PAPER}", headers={"Accept": "application/n-triples",
                                                                   "If-None-Match": first.headers["etag"]})
    assert other.status_code == 200


def test_other_base_iri_and_old_style_ids_resolve(other_base_server: LiveServer) -> None:
    paper = URIRef(OTHER_BASE + "paper/" + OLD_STYLE_ID)
    graph = graph_of(other_base_server, f"/paper/{OLD_STYLE_ID}")
    assert (paper, DCTERMS.title, Literal("An old-style paper")) in graph
    assert (paper, CITO_CITES, URIRef(OTHER_BASE + "paper/" + PAPER)) in graph
    assert all(str(s).startswith(OTHER_BASE) for s in graph.subjects())
    authorship = URIRef(f"{OTHER_BASE}paper/{OLD_STYLE_ID}/authorship/1")
    described = graph_of(other_base_server, f"/paper/{OLD_STYLE_ID}/authorship/1")
    assert (authorship, None, None) in described
    assert all(str(s).startswith(OTHER_BASE) for s in described.subjects())
    html = fetch(other_base_server, f"/paper/{PAPER}", "text/html").text
    assert f'href="/paper/{OLD_STYLE_ID}"' in html  # cited by the old-style paper, linked on this server
    assert 'href="/person/xuena-wang"' in html


def test_cbd_recurses_into_blank_nodes_and_pages_escape_text(other_base_server: LiveServer) -> None:
    thing = OTHER_BASE + "thing/with-blank-nodes"
    turtle = f"""<{thing}> <http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(1)</script>" ;
        <http://example.org/p> [ <http://example.org/q> [ <http://example.org/r> "deep" ] ] ;
        <http://example.org/s> <{OTHER_BASE}thing/other> .
    <{OTHER_BASE}thing/other> <http://example.org/t> "not part of the CBD" ."""
    put = httpx.put(other_base_server.url + "/store", params={"graph": OTHER_BASE + "graph/test-blank"},
                    content=turtle, headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert put.status_code in (201, 204), put.text
    graph = graph_of(other_base_server, "/thing/with-blank-nodes")
    assert len(list(graph.objects(None, URIRef("http://example.org/r")))) == 1  # two blank nodes deep
    assert not list(graph.objects(None, URIRef("http://example.org/t")))
    html = fetch(other_base_server, "/thing/with-blank-nodes", "text/html").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_claim_page_highlights_the_sentence_in_its_context(ld_server: LiveServer, sample_store: KgStore) -> None:
    row = select(sample_store, f"""SELECT ?c ?anchor WHERE {{ ?c kg:statedIn <{PAPER_IRI}> ; nif:anchorOf ?anchor }}
        ORDER BY ?c LIMIT 1""")[0]
    page = fetch(ld_server, row["c"][len(DEFAULT_BASE_IRI) - 1:], "text/html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"<mark>{escape(row['anchor'])}</mark>" in page.text


def test_non_ascii_iri_resolves_from_its_percent_encoded_path(other_base_server: LiveServer) -> None:
    person = OTHER_BASE + "person/aurélien-rodriguez"
    put = httpx.put(other_base_server.url + "/store", params={"graph": OTHER_BASE + "graph/test-unicode"},
                    content=f'<{person}> <http://xmlns.com/foaf/0.1/name> "Aurélien Rodriguez" .'.encode(),
                    headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert put.status_code in (201, 204), put.text
    response = httpx.get(other_base_server.url + "/person/aur%C3%A9lien-rodriguez", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (URIRef(person), FOAF.name, Literal("Aurélien Rodriguez")) in graph


def test_head_answers_like_get_without_a_body(ld_server: LiveServer) -> None:
    response = httpx.head(ld_server.url + f"/paper/{PAPER}", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("application/n-triples")
    assert httpx.head(ld_server.url + "/paper/9999.99999").status_code == 404
