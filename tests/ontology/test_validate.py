"""SHACL validation: the sample conforms; graphs broken on purpose are caught with the right message.

One copy of the sample is broken in many independent ways (each on its own node) and validated once;
each expected result is a test of its own, and one more test checks that nothing else is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg import validate
from kg.cli import main
from kg.rdf import literal
from kg.store import KgStore
from kg.validate import ValidationReport, to_rdflib, validate_graph, validate_store

from .conftest import copy_of_sample

BASE = "https://w3id.org/arxiv-kg/"
PAPER = BASE + "paper/2307.09042"
GRAPH = BASE + "graph/2307.09042"
LLAMA = BASE + "paper/2307.09288"
LLAMA_GRAPH = BASE + "graph/2307.09288"
FAKE = BASE + "paper/9999.99999"
PERSON = BASE + "person/xuena-wang"
UNKNOWN_CATEGORY = BASE + "category/cs.XX"
PREFIXES = """
PREFIX kg: <https://w3id.org/arxiv-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
SENTENCE = "We perform rejection sampling only with our largest 70B Llama 2-Chat."
CLAIM_CHUNK = LLAMA + "/chunk/54"

StoreCopy = Callable[..., KgStore]


def found(report: ValidationReport, focus: str, path: str, message: str) -> bool:
    return any(r.focus == f"<{focus}>" and r.path == path and message in r.message for r in report.results)


def update(text: str) -> str:
    return PREFIXES + text


def delete_node(node: str) -> list[str]:
    """Updates that remove a node: its own triples and the links to it."""
    return [update(f"DELETE WHERE {{ GRAPH ?g {{ <{node}> ?p ?o }} }}"),
            update(f"DELETE WHERE {{ GRAPH ?g {{ ?s ?p <{node}> }} }}")]


def set_position(authorship: str, position: int) -> str:
    return update(f"""
        DELETE {{ GRAPH ?g {{ <{authorship}> kg:position ?p }} }}
        INSERT {{ GRAPH ?g {{ <{authorship}> kg:position {position} }} }}
        WHERE {{ GRAPH ?g {{ <{authorship}> kg:position ?p }} }}""")


def claim_update(claim: str, anchor: str, begin: int, end: int, *, context: str = CLAIM_CHUNK) -> str:
    """A claim written by hand in the shape the claims extractor emits (issue 4)."""
    return update(f"""INSERT DATA {{ GRAPH <{LLAMA_GRAPH}> {{
        <{claim}> a kg:Claim ; kg:statedIn <{LLAMA}> ; nif:anchorOf {literal(anchor)} ;
            nif:referenceContext <{context}> ;
            nif:beginIndex "{begin}"^^xsd:nonNegativeInteger ; nif:endIndex "{end}"^^xsd:nonNegativeInteger ;
            kg:negated false ; kg:hedged false ; kg:confidence 0.9 .
    }} }}""")


def text_of(store: KgStore, context: str) -> str:
    return next(iter(store.query(update(f"SELECT ?t WHERE {{ <{context}> nif:isString ?t }}"))))["t"].value


@pytest.fixture(scope="module")
def span(sample_store: KgStore) -> tuple[int, int, int]:
    """Where SENTENCE sits in its chunk: begin, end, and the length of the chunk's text."""
    text = text_of(sample_store, CLAIM_CHUNK)
    begin = text.index(SENTENCE)
    return begin, begin + len(SENTENCE), len(text)


@pytest.fixture(scope="module")
def quiet_chunk(sample_store: KgStore) -> str:
    """A chunk of PAPER that no claim or mention points into (breaking it must report the chunk only)."""
    solutions = sample_store.query(update(f"""
        SELECT ?c WHERE {{ ?c a kg:Chunk ; dcterms:isPartOf <{PAPER}> .
                          FILTER NOT EXISTS {{ ?s nif:referenceContext ?c }} }} ORDER BY ?c LIMIT 1"""))
    return next(iter(solutions))["c"].value


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, sample_nquads: list[str], span: tuple[int, int, int], quiet_chunk: str
) -> tuple[KgStore, ValidationReport]:
    begin, end, _length = span
    store = copy_of_sample(
        tmp_path_factory.mktemp("broken") / "store", sample_nquads,
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:title ?t }} }}"),
        update(f'INSERT DATA {{ GRAPH <{LLAMA_GRAPH}> {{ <{LLAMA}> dcterms:title "A second title" }} }}'),
        *delete_node(f"{PAPER}/authorship/3"),
        *delete_node(f"{LLAMA}/authorship/1"),
        set_position(f"{LLAMA}/authorship/5", 4),
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{LLAMA}> dcterms:issued ?d }} }}"),
        update(f"""INSERT DATA {{ GRAPH <{BASE}graph/9999.99999> {{
            <{FAKE}> a fabio:Preprint ; dcterms:title "A paper without authors" ; kg:arxivId "9999.99999v2" ;
                dcterms:issued "2023-01-01"^^xsd:date . }} }}"""),
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{PERSON}> foaf:name ?n }} }}"),
        update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{PAPER}> dcterms:subject <{UNKNOWN_CATEGORY}> }} }}"),
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{quiet_chunk}> nif:isString ?t ; dcterms:isPartOf ?p }} }}"),
        claim_update(LLAMA + "/claim/test-off-by-one", SENTENCE, begin + 1, end + 1),
        claim_update(LLAMA + "/claim/test-outside", SENTENCE, begin, 10**6),
        claim_update(LLAMA + "/claim/test-no-paper", SENTENCE, begin, end),
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{LLAMA}/claim/test-no-paper> kg:statedIn ?p }} }}"),
    )
    return store, validate_store(store)


def expected_results(span: tuple[int, int, int], quiet_chunk: str) -> list[tuple[str, str, str, str]]:
    """(what is broken, focus, path, message) for each way the broken copy is broken."""
    begin, end, length = span
    return [
        ("missing title", PAPER, "dcterms:title", "a paper has exactly one title (dcterms:title)"),
        ("second title", LLAMA, "dcterms:title", "a paper has exactly one title (dcterms:title)"),
        ("gap in positions", PAPER, "kg:position",
         "author positions have a gap: no authorship at position 3, but one at 4"),
        ("positions not from 1", LLAMA, "kg:position", "no authorship at position 1, but one at 2"),
        ("repeated position", LLAMA, "kg:position", "author position 4 is held by more than one authorship"),
        ("gap left by the repeat", LLAMA, "kg:position", "no authorship at position 5, but one at 6"),
        ("missing issued date", LLAMA, "dcterms:issued", "a paper has exactly one issued date"),
        ("paper without authorship", FAKE, "kg:authorship", "a paper has at least one authorship"),
        ("arXiv id with version", FAKE, "kg:arxivId", "a paper's arXiv id is versionless"),
        ("person without name", PERSON, "foaf:name", "a person has a name"),
        ("category not a concept", UNKNOWN_CATEGORY, "", "a category is a skos:Concept of the arXiv taxonomy"),
        ("category without notation", UNKNOWN_CATEGORY, "skos:notation",
         "a category has exactly one notation (skos:notation) in the arXiv taxonomy"),
        ("category outside the taxonomy", UNKNOWN_CATEGORY, "skos:inScheme",
         "a category belongs to the arXiv taxonomy"),
        ("category without name", UNKNOWN_CATEGORY, "skos:prefLabel", "a category has a name"),
        ("chunk without text", quiet_chunk, "nif:isString", "a chunk has exactly one text (nif:isString)"),
        ("chunk without paper", quiet_chunk, "dcterms:isPartOf", "a chunk belongs to exactly one paper"),
        ("claim span off by one", LLAMA + "/claim/test-off-by-one", "nif:anchorOf",
         f'the anchor (nif:anchorOf) is not the context text at [{begin + 1}, {end + 1}), which reads "e perform'),
        ("claim span outside its context", LLAMA + "/claim/test-outside", "nif:endIndex",
         f"span [{begin}, {10**6}) lies outside its context, whose text has {length} characters"),
        ("claim without paper", LLAMA + "/claim/test-no-paper", "kg:statedIn",
         "a claim is stated in exactly one paper"),
    ]


EXPECTED_IDS = [
    "missing title", "second title", "gap in positions", "positions not from 1", "repeated position",
    "gap left by the repeat", "missing issued date", "paper without authorship", "arXiv id with version",
    "person without name", "category not a concept", "category without notation", "category outside the taxonomy",
    "category without name", "chunk without text", "chunk without paper", "claim span off by one",
    "claim span outside its context", "claim without paper",
]


def test_sample_conforms(sample_store: KgStore) -> None:
    report = validate_store(sample_store)
    assert report.conforms, report.text()
    assert report.results == []
    assert report.triples == len(sample_store)


def test_sample_claims_and_mentions_are_checked_spans(sample_store: KgStore) -> None:
    spans = sample_store.query(update("SELECT (COUNT(*) AS ?n) WHERE { ?s nif:anchorOf ?a }"))
    assert int(next(iter(spans))["n"].value) > 0, "the sample build made no claims or mentions to check"


@pytest.mark.parametrize("what", EXPECTED_IDS)
def test_broken_graph_is_caught_with_the_right_message(
    what: str, broken: tuple[KgStore, ValidationReport], span: tuple[int, int, int], quiet_chunk: str
) -> None:
    _store, report = broken
    (_what, focus, path, message), = [e for e in expected_results(span, quiet_chunk) if e[0] == what]
    assert found(report, focus, path, message), report.text()


def test_nothing_else_is_reported(
    broken: tuple[KgStore, ValidationReport], span: tuple[int, int, int], quiet_chunk: str
) -> None:
    _store, report = broken
    assert not report.conforms
    assert [e[0] for e in expected_results(span, quiet_chunk)] == EXPECTED_IDS
    assert len(report.results) == len(EXPECTED_IDS), report.text()


def test_arxiv_id_result_names_the_offending_value(broken: tuple[KgStore, ValidationReport]) -> None:
    _store, report = broken
    assert any(r.path == "kg:arxivId" and r.value == "'9999.99999v2'" for r in report.results)


def test_well_formed_claim_conforms(store_copy: StoreCopy, span: tuple[int, int, int]) -> None:
    begin, end, _length = span
    report = validate_store(store_copy(claim_update(LLAMA + "/claim/test-good", SENTENCE, begin, end)))
    assert report.conforms, report.text()


def test_small_batches_find_the_same_results(
    broken: tuple[KgStore, ValidationReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, whole = broken
    monkeypatch.setattr(validate, "BATCH_GRAPHS", 1)
    monkeypatch.setattr(validate, "BATCH_SHARED_QUADS", 400)
    assert sum(1 for _ in validate._batches(store, BASE)) > 6
    assert validate_store(store).results == whole.results


def test_worker_processes_find_the_same_results(broken: tuple[KgStore, ValidationReport]) -> None:
    store, alone = broken
    assert validate_store(store, workers=2).results == alone.results


def test_oxigraph_and_pyshacl_agree_on_every_result(store_copy: StoreCopy, span: tuple[int, int, int]) -> None:
    begin, end, _length = span
    store = store_copy(
        # pySHACL alone re-parses a SHACL-SPARQL query per focus node: keep only the spans made here
        update("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s nif:anchorOf ?a ; ?p ?o } }"),
        *delete_node(f"{PAPER}/authorship/3"),
        update(f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:title ?t }} }}"),
        claim_update(LLAMA + "/claim/test-1", SENTENCE, begin + 1, end + 1),
        claim_update(LLAMA + "/claim/test-2", SENTENCE, begin, 10**6),
        set_position(f"{LLAMA}/authorship/5", 4),
    )
    mixed = validate_store(store)
    pure = validate_graph(to_rdflib(store.quads()))
    assert [(r.focus, r.path, r.message, r.value) for r in mixed.results] == [
        (r.focus, r.path, r.message, r.value) for r in pure.results
    ]
    assert found(mixed, LLAMA, "kg:position", "author position 4 is held by more than one authorship")
    assert found(mixed, PAPER, "kg:position", "no authorship at position 3, but one at 4")
    assert len(mixed.results) == 6, mixed.text()
    for constraint in validate.sparql_constraints():  # the shortcut for data without rdfs:subClassOf
        with_paths = set(validate._run_sparql_constraint(store, constraint, subclasses=True))
        assert with_paths == set(validate._run_sparql_constraint(store, constraint, subclasses=False))


def test_kg_validate_prints_focus_path_message_and_exits_non_zero(
    broken: tuple[KgStore, ValidationReport], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _report = broken
    root = store.path.parent.parent
    assert main(["validate", "--store", str(root), "--limit", "1000"]) == 4
    out = capsys.readouterr().out
    assert out.startswith(f"does not conform: {len(EXPECTED_IDS)} results")
    assert f"Violation: <{PAPER}>\n    path:    dcterms:title\n    message: a paper has exactly one title" in out


def test_kg_validate_exits_zero_on_the_sample(sample_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--store", str(sample_store_dir)]) == 0
    assert capsys.readouterr().out.startswith("conforms:")


def test_kg_build_validate_checks_the_new_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--store", str(tmp_path / "s"), "--no-claims", "--validate"]) == 0
    assert "conforms:" in capsys.readouterr().out


def test_store_built_under_another_base_iri_conforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.build import build
    from kg.store import StoreDirectory

    build([], tmp_path / "s", base_iri="https://example.org/kg/", claims=False)
    monkeypatch.setattr(validate, "BATCH_GRAPHS", 1)  # each paper alone: needs the shared graphs beside it
    report = validate_store(StoreDirectory(tmp_path / "s").open())  # default base: shared graphs found by name
    assert report.conforms, report.text()
