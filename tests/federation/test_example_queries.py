"""Every federated example query in queries/ returns the expected rows against loopback fixtures of the
external graphs, through our bind join and through pyoxigraph's own SERVICE evaluation alike."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kg.federation import Federation
from kg.vocab import DEFAULT_BASE_IRI
from tests.federation.conftest import rewrite

QUERIES = Path(__file__).parents[2] / "queries"
P = DEFAULT_BASE_IRI + "paper/"
WD = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"

EXPECTED: dict[str, list[tuple]] = {
    "wikidata-items-by-arxiv-id": [
        (P + "2307.09042", "2307.09042", WD + "Q900002"),
        (P + "2307.09288", "2307.09288", WD + "Q900001"),
    ],
    "wikidata-items-by-doi": [
        (P + "2307.09042", "10.48550/ARXIV.2307.09042", WD + "Q900002"),
        (P + "2307.09288", "10.48550/ARXIV.2307.09288", WD + "Q900001"),
    ],
    "wikidata-author-orcids": [
        ("2307.09288", "1", WD + "Q900011", "Hugo Touvron", "0000-0001-0000-0011"),
        ("2307.09288", "2", WD + "Q900012", "Louis Martin", "0000-0001-0000-0012"),
    ],
    "wikidata-venues": [("2307.09288", WD + "Q900001", WD + "Q900100", "arXiv")],
    "dblp-ordered-authors": [
        ("2307.09288", "https://dblp.org/rec/journals/corr/abs-2307-09288", "1", "Hugo Touvron",
         "https://dblp.org/pid/900/11"),
        ("2307.09288", "https://dblp.org/rec/journals/corr/abs-2307-09288", "2", "Louis Martin 0002",
         "https://dblp.org/pid/900/12-2"),
        ("2307.09288", "https://dblp.org/rec/journals/corr/abs-2307-09288", "3", "Kevin Stone",
         "https://dblp.org/pid/900/13"),
    ],
    "semopenalex-citation-counts": [
        ("2307.09288", "https://semopenalex.org/work/W900001", "9001"),
        ("2307.09042", "https://semopenalex.org/work/W900002", "42"),
    ],
    "opencitations-citations": [
        ("2307.09288", "https://w3id.org/oc/meta/br/0690001", "3"),
        ("2307.09042", "https://w3id.org/oc/meta/br/0690002", "1"),
    ],
}


def rows(result) -> list[tuple]:
    names = [v.value for v in result.variables]
    return [tuple(s[n].value if s[n] is not None else None for n in names) for s in result]


def test_every_federated_example_query_has_expected_rows():
    federated = {p.stem for p in QUERIES.glob("*.rq") if "SERVICE" in p.read_text(encoding="utf-8")}
    assert federated == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_query_returns_expected_rows_through_bind_join(name, sample_store, fixture_servers,
                                                               fixture_settings):
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    header = text.splitlines()[:2]
    assert header[0].startswith("# title: ") and header[1].startswith("# description: ")
    assert any(word in header[1] for word in ("case", "casing", "as is")), "the header must say the key's casing"
    query = rewrite(text, fixture_servers)
    federation = Federation(fixture_settings)
    got = rows(federation.execute(sample_store, query))
    assert got == EXPECTED[name]
    assert federation.last.bind_joins >= 1 and federation.last.full_fetches == 0
    # the same query evaluated naively by pyoxigraph (it calls the loopback fixture itself)
    assert Counter(rows(sample_store.query(query))) == Counter(got)
