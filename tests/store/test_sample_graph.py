"""The sample graph, checked fact by fact against the input records through SPARQL on the on-disk store."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from kg.build import build
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI, IriScheme, normalize_name
from tests.conftest import select

IRIS = IriScheme(DEFAULT_BASE_IRI)


def _first_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row["doi"], row)
    return out


def test_sample_has_two_papers_typed_as_preprint_and_scholarly_article(sample_store):
    rows = select(sample_store, "SELECT ?p ?id WHERE { ?p a fabio:Preprint, schema:ScholarlyArticle ; kg:arxivId ?id }")
    assert sorted(r["id"] for r in rows) == ["2307.09042", "2307.09288"]
    assert {r["p"] for r in rows} == {IRIS.paper("2307.09042"), IRIS.paper("2307.09288")}


def test_authors_are_ordered_as_in_the_record(sample_store, sample_rows):
    for arxiv_id, row in _first_rows(sample_rows).items():
        expected = [normalize_name(n) for n in row["authors"].split(", ")]
        got = select(sample_store, f"""
            SELECT ?pos ?name WHERE {{
              <{IRIS.paper(arxiv_id)}> kg:authorship ?a .
              ?a a kg:Authorship ; kg:position ?pos ; kg:author ?person .
              ?person a foaf:Person ; foaf:name ?name .
              FILTER(isNumeric(?pos) && ?pos >= 1)
            }} ORDER BY ?pos""")
        assert [int(r["pos"]) for r in got] == list(range(1, len(expected) + 1))
        assert [r["name"] for r in got] == expected
    counts = {r["id"]: int(r["n"]) for r in select(sample_store, """
        SELECT ?id (COUNT(DISTINCT ?c) AS ?n) WHERE { ?p kg:arxivId ?id ; dcterms:creator ?c } GROUP BY ?id""")}
    assert counts == {"2307.09288": 68, "2307.09042": 5}


def test_citations_match_the_references(sample_store, sample_rows):
    for arxiv_id, row in _first_rows(sample_rows).items():
        expected = {ref["id"] for ref in row["references"]}
        got = select(sample_store, f"SELECT ?id WHERE {{ <{IRIS.paper(arxiv_id)}> cito:cites ?c . ?c kg:arxivId ?id }}")
        assert {r["id"] for r in got} == expected
        assert len(got) == len(expected)
    assert {arxiv_id: len(row["references"]) for arxiv_id, row in _first_rows(sample_rows).items()} == {
        "2307.09288": 55, "2307.09042": 12}


def test_chunks_carry_their_exact_text(sample_store, sample_rows):
    expected: dict[str, dict[int, str]] = defaultdict(dict)
    for row in sample_rows:
        expected[row["doi"]][row["chunk-id"]] = row["chunk"]
    rows = select(sample_store, """
        SELECT ?id ?n ?text WHERE { ?c a kg:Chunk ; dcterms:isPartOf ?p ; kg:chunkIndex ?n ; nif:isString ?text .
                                   ?p kg:arxivId ?id }""")
    got: dict[str, dict[int, str]] = defaultdict(dict)
    for r in rows:
        got[r["id"]][int(r["n"])] = r["text"]
    assert {k: len(v) for k, v in got.items()} == {"2307.09288": 84, "2307.09042": 16}
    assert got == expected


def test_categories_dates_and_identifiers(sample_store):
    rows = select(sample_store, f"""
        SELECT ?doi ?issued ?modified ?primary ?pdf ?page ?title WHERE {{
          <{IRIS.paper("2307.09288")}> bibo:doi ?doi ; dcterms:issued ?issued ; dcterms:modified ?modified ;
             kg:primaryCategory ?primary ; kg:pdf ?pdf ; foaf:page ?page ; dcterms:title ?title .
          FILTER(DATATYPE(?issued) = xsd:date && DATATYPE(?modified) = xsd:date)
        }}""")
    assert rows == [{
        "doi": "10.48550/arXiv.2307.09288",
        "issued": "2023-07-18",
        "modified": "2023-07-19",
        "primary": IRIS.category("cs.CL"),
        "pdf": "https://arxiv.org/pdf/2307.09288",
        "page": "https://arxiv.org/abs/2307.09288",
        "title": "Llama 2: Open Foundation and Fine-Tuned Chat Models",
    }]
    subjects = select(sample_store, f"""
        SELECT ?code ?label ?broader WHERE {{ <{IRIS.paper("2307.09288")}> dcterms:subject ?c .
          ?c a skos:Concept ; skos:notation ?code ; skos:prefLabel ?label ; skos:inScheme ?s ; skos:broader ?broader }}
        ORDER BY ?code""")
    assert subjects == [
        {"code": "cs.AI", "label": "Artificial Intelligence", "broader": IRIS.category("cs")},
        {"code": "cs.CL", "label": "Computation and Language", "broader": IRIS.category("cs")},
    ]
    comment = select(sample_store, f"SELECT ?c WHERE {{ <{IRIS.paper('2307.09042')}> kg:arxivComment ?c }}")
    assert comment == [{"c": "36 pages, 5 figures"}]


def test_the_whole_taxonomy_is_loaded(sample_store):
    from kg.sources.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    rows = select(sample_store, "SELECT (COUNT(*) AS ?n) WHERE { ?c skos:notation ?code ; skos:prefLabel ?l }")
    assert int(rows[0]["n"]) == len(taxonomy.categories) + len(taxonomy.archives())


def test_union_default_graph_never_repeats_a_row(sample_store):
    total = select(sample_store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    distinct = select(sample_store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert total == distinct[0]["n"]


def test_each_paper_has_its_own_named_graph(sample_store):
    graphs = set(sample_store.named_graphs())
    assert {IRIS.paper_graph("2307.09288"), IRIS.paper_graph("2307.09042")} <= graphs
    rows = select(sample_store, f"""
        SELECT ?g WHERE {{ GRAPH ?g {{ <{IRIS.paper("2307.09288")}> dcterms:title ?t }} }}""")
    assert rows == [{"g": IRIS.paper_graph("2307.09288")}]


def test_building_twice_gives_the_same_quads(tmp_path, sample_store):
    build([], tmp_path / "again", base_iri=DEFAULT_BASE_IRI)
    again = StoreDirectory(tmp_path / "again").open()
    assert sorted(again.nquads()) == sorted(sample_store.nquads())


@pytest.mark.parametrize("base", ["https://example.org/other/", "http://localhost:8000/"])
def test_base_iri_is_configurable(tmp_path, base):
    build([], tmp_path / "s", base_iri=base)
    store = StoreDirectory(tmp_path / "s").open()
    subjects = {q.split(" ", 1)[0] for q in store.nquads()}
    assert all(s.startswith(f"<{base}") for s in subjects)


def test_positions_are_written_as_positive_integers(tmp_path):
    """The N-Quads output keeps xsd:positiveInteger (Oxigraph itself stores derived integer types as xsd:integer)."""
    import gzip

    out = tmp_path / "kg.nq.gz"
    build([], tmp_path / "s", base_iri=DEFAULT_BASE_IRI, output_path=out)
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    positions = [line for line in lines if "/ontology#position>" in line]
    assert len(positions) == 68 + 5
    datatype = "^^<http://www.w3.org/2001/XMLSchema#positiveInteger>"
    assert all(line.split(" ")[2].endswith(datatype) for line in positions)
    store = StoreDirectory(tmp_path / "s").open()
    assert len(store) == len(set(lines))
