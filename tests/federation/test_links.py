"""Papers carry owl:sameAs to arXiv and the DOI; `kg link` writes links to Wikidata and dblp with provenance."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kg.build import build
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI
from tests.conftest import select

SCHOLARLY = "https://query-scholarly.wikidata.org/sparql"
DBLP = "https://sparql.dblp.org/sparql"


def test_papers_carry_same_as_to_their_arxiv_page_and_doi(sample_store):
    rows = select(sample_store, """
        SELECT ?id ?same WHERE { ?p a fabio:Preprint ; kg:arxivId ?id ; owl:sameAs ?same } ORDER BY ?id ?same""")
    assert [(r["id"], r["same"]) for r in rows] == [
        ("2307.09042", "https://arxiv.org/abs/2307.09042"),
        ("2307.09042", "https://doi.org/10.48550/arXiv.2307.09042"),
        ("2307.09288", "https://arxiv.org/abs/2307.09288"),
        ("2307.09288", "https://doi.org/10.48550/arXiv.2307.09288"),
    ]


@pytest.fixture()
def store_dir(tmp_path):
    path = tmp_path / "kg-store"
    build([], path, base_iri=DEFAULT_BASE_IRI)
    return path


def kg(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_FEDERATION_ALLOW": ""}  # the command allows exactly the --endpoint it is given
    proc = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc


def _links(store_dir, target):
    store = StoreDirectory(store_dir).open()
    try:
        graph = DEFAULT_BASE_IRI + f"graph/links/{target}"
        links = select(store, f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ ?p owl:sameAs ?o }} }} ORDER BY ?p")
        prov = select(store, f"""
            SELECT ?activity ?used ?start ?end ?agent WHERE {{ GRAPH <{graph}> {{
              <{graph}> prov:wasGeneratedBy ?activity .
              ?activity a prov:Activity ; prov:used ?used ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
                prov:wasAssociatedWith ?agent . ?agent a prov:SoftwareAgent }} }}""")
        return [(r["p"], r["o"]) for r in links], prov, len(store)
    finally:
        store.close()


def test_kg_link_wikidata_writes_same_as_links_with_provenance(store_dir, fixture_servers):
    endpoint = fixture_servers[SCHOLARLY]
    before = len(StoreDirectory(store_dir).open())
    proc = kg("link", "wikidata", "--store", str(store_dir), "--endpoint", endpoint, "--batch-size", "10")
    assert "2 owl:sameAs links to wikidata" in proc.stdout
    links, prov, size = _links(store_dir, "wikidata")
    assert links == [
        (DEFAULT_BASE_IRI + "paper/2307.09042", "http://www.wikidata.org/entity/Q900002"),
        (DEFAULT_BASE_IRI + "paper/2307.09288", "http://www.wikidata.org/entity/Q900001"),
    ]
    assert len(prov) == 1 and prov[0]["used"] == endpoint and prov[0]["start"] <= prov[0]["end"]
    assert size == before + len(links) + 8  # the other graphs are copied unchanged
    # linking again replaces the graph instead of adding to it
    kg("link", "wikidata", "--store", str(store_dir), "--endpoint", endpoint)
    again, prov_again, size_again = _links(store_dir, "wikidata")
    assert again == links and len(prov_again) == 1 and size_again == size


def test_kg_link_dblp_matches_the_upper_case_doi(store_dir, fixture_servers):
    kg("link", "dblp", "--store", str(store_dir), "--endpoint", fixture_servers[DBLP])
    links, prov, _ = _links(store_dir, "dblp")
    # the decoy record holds the DOI in arXiv's casing and must not be linked
    assert links == [(DEFAULT_BASE_IRI + "paper/2307.09288", "https://dblp.org/rec/journals/corr/abs-2307-09288")]
    assert prov[0]["used"] == fixture_servers[DBLP]
