"""SHACL validation: the sample conforms; graphs broken on purpose are caught with the right message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg import validate
from kg.cli import main
from kg.rdf import literal
from kg.store import KgStore
from kg.validate import ValidationReport, to_rdflib, validate_graph, validate_store

BASE = "https://w3id.org/arxiv-kg/"
PAPER = BASE + "paper/2307.09042"
GRAPH = BASE + "graph/2307.09042"
LLAMA = BASE + "paper/2307.09288"
LLAMA_GRAPH = BASE + "graph/2307.09288"
PREFIXES = """
PREFIX kg: <https://w3id.org/arxiv-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

StoreCopy = Callable[..., KgStore]


def found(report: ValidationReport, focus: str, path: str, message: str) -> bool:
    return any(r.focus == f"<{focus}>" and r.path == path and message in r.message for r in report.results)


def test_sample_conforms(sample_store: KgStore) -> None:
    report = validate_store(sample_store)
    assert report.conforms, report.text()
    assert report.results == []
    assert report.triples == len(sample_store)


def test_missing_title_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:title ?t }} }}")
    report = validate_store(store)
    assert not report.conforms
    assert found(report, PAPER, "dcterms:title", "a paper has exactly one title")
    assert len(report.results) == 1


def test_second_title_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{PAPER}> dcterms:title "Another" }} }}')
    assert found(validate_store(store), PAPER, "dcterms:title", "a paper has exactly one title")


def test_gap_in_author_positions_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}/authorship/3> ?p ?o }} }}",
                       PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ ?s kg:authorship <{PAPER}/authorship/3> }} }}")
    report = validate_store(store)
    assert not report.conforms
    assert found(report, PAPER, "kg:position", "author positions have a gap: no authorship at position 3, but one at 4")
    assert len(report.results) == 1, report.text()


def test_positions_not_starting_at_one_are_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}/authorship/1> ?p ?o }} }}",
                       PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ ?s kg:authorship <{PAPER}/authorship/1> }} }}")
    assert found(validate_store(store), PAPER, "kg:position", "no authorship at position 1, but one at 2")


def test_repeated_author_position_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"""
        DELETE {{ GRAPH ?g {{ <{PAPER}/authorship/5> kg:position ?p }} }}
        INSERT {{ GRAPH ?g {{ <{PAPER}/authorship/5> kg:position 4 }} }}
        WHERE {{ GRAPH ?g {{ <{PAPER}/authorship/5> kg:position ?p }} }}""")
    report = validate_store(store)
    assert found(report, PAPER, "kg:position", "author position 4 is held by more than one authorship")


def test_paper_without_authorship_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> kg:authorship ?a }} }}")
    report = validate_store(store)
    assert found(report, PAPER, "kg:authorship", "a paper has at least one authorship")
    assert found(report, f"{PAPER}/authorship/1", "^kg:authorship", "an authorship belongs to exactly one paper")


def test_arxiv_id_with_version_suffix_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"""
        DELETE {{ GRAPH ?g {{ <{PAPER}> kg:arxivId ?id }} }}
        INSERT {{ GRAPH ?g {{ <{PAPER}> kg:arxivId "2307.09042v2" }} }}
        WHERE {{ GRAPH ?g {{ <{PAPER}> kg:arxivId ?id }} }}""")
    report = validate_store(store)
    assert found(report, PAPER, "kg:arxivId", "a paper's arXiv id is versionless")
    assert any(r.value == "'2307.09042v2'" for r in report.results)


def test_missing_issued_date_is_caught(store_copy: StoreCopy) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:issued ?d }} }}")
    assert found(validate_store(store), PAPER, "dcterms:issued", "a paper has exactly one issued date")


def test_person_without_name_is_caught(store_copy: StoreCopy) -> None:
    person = BASE + "person/xuena-wang"
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{person}> foaf:name ?n }} }}")
    assert found(validate_store(store), person, "foaf:name", "a person has a name")


def test_category_outside_the_taxonomy_is_caught(store_copy: StoreCopy) -> None:
    unknown = BASE + "category/cs.XX"
    store = store_copy(PREFIXES + f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{PAPER}> dcterms:subject <{unknown}> }} }}")
    report = validate_store(store)
    assert found(report, unknown, "skos:notation", "a category has exactly one notation (skos:notation) in the arXiv")
    assert found(report, unknown, "skos:inScheme", "a category belongs to the arXiv taxonomy")


def test_chunk_without_text_or_paper_is_caught(store_copy: StoreCopy) -> None:
    chunk = PAPER + "/chunk/56"
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{chunk}> nif:isString ?t ; dcterms:isPartOf ?p }} }}")
    report = validate_store(store)
    assert found(report, chunk, "nif:isString", "a chunk has exactly one text")
    assert found(report, chunk, "dcterms:isPartOf", "a chunk belongs to exactly one paper")


# Claims: built by hand here, in the shape the claims extractor emits (issue 4).

SENTENCE = "We perform rejection sampling only with our largest 70B Llama 2-Chat."


def chunk_text(store: KgStore, chunk: str) -> str:
    solutions = store.query(PREFIXES + f"SELECT ?t WHERE {{ <{chunk}> nif:isString ?t }}")
    return next(iter(solutions))["t"].value


def claim_update(claim: str, chunk: str, anchor: str, begin: int, end: int) -> str:
    return PREFIXES + f"""INSERT DATA {{ GRAPH <{LLAMA_GRAPH}> {{
        <{claim}> a kg:Claim ; kg:statedIn <{LLAMA}> ; nif:anchorOf {literal(anchor)} ;
            nif:referenceContext <{chunk}> ;
            nif:beginIndex "{begin}"^^xsd:nonNegativeInteger ; nif:endIndex "{end}"^^xsd:nonNegativeInteger ;
            kg:negated false ; kg:hedged false ; kg:confidence 0.9 .
    }} }}"""


@pytest.fixture
def chunk_and_span(sample_store: KgStore) -> tuple[str, int, int]:
    chunk = LLAMA + "/chunk/54"
    text = chunk_text(sample_store, chunk)
    begin = text.index(SENTENCE)
    return chunk, begin, begin + len(SENTENCE)


def test_well_formed_claim_conforms(store_copy: StoreCopy, chunk_and_span: tuple[str, int, int]) -> None:
    chunk, begin, end = chunk_and_span
    store = store_copy(claim_update(LLAMA + "/claim/1", chunk, SENTENCE, begin, end))
    report = validate_store(store)
    assert report.conforms, report.text()


def test_claim_span_off_by_one_is_caught(store_copy: StoreCopy, chunk_and_span: tuple[str, int, int]) -> None:
    chunk, begin, end = chunk_and_span
    claim = LLAMA + "/claim/1"
    store = store_copy(claim_update(claim, chunk, SENTENCE, begin + 1, end + 1))
    report = validate_store(store)
    assert not report.conforms
    message = f"the anchor (nif:anchorOf) is not the context text at [{begin + 1}, {end + 1}), which reads \"e perform"
    assert found(report, claim, "nif:anchorOf", message)
    assert len(report.results) == 1, report.text()


def test_claim_span_outside_its_context_is_caught(
    store_copy: StoreCopy, sample_store: KgStore, chunk_and_span: tuple[str, int, int]
) -> None:
    chunk, begin, _end = chunk_and_span
    length = len(chunk_text(sample_store, chunk))
    claim = LLAMA + "/claim/2"
    store = store_copy(claim_update(claim, chunk, SENTENCE, begin, length + 1))
    report = validate_store(store)
    assert found(report, claim, "nif:endIndex",
                 f"span [{begin}, {length + 1}) lies outside its context, whose text has {length} characters")


def test_claim_without_paper_is_caught(store_copy: StoreCopy, chunk_and_span: tuple[str, int, int]) -> None:
    chunk, begin, end = chunk_and_span
    claim = LLAMA + "/claim/3"
    store = store_copy(claim_update(claim, chunk, SENTENCE, begin, end),
                       PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{claim}> kg:statedIn ?p }} }}")
    assert found(validate_store(store), claim, "kg:statedIn", "a claim is stated in exactly one paper")


def test_kg_validate_prints_focus_path_message_and_exits_non_zero(
    store_copy: StoreCopy, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:title ?t }} }}")
    root = store.path.parent.parent
    store.close()
    assert main(["validate", "--store", str(root)]) == 4
    out = capsys.readouterr().out
    assert f"Violation: <{PAPER}>" in out
    assert "path:    dcterms:title" in out
    assert "message: a paper has exactly one title (dcterms:title)" in out


def test_kg_validate_exits_zero_on_the_sample(sample_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--store", str(sample_store_dir)]) == 0
    assert capsys.readouterr().out.startswith("conforms:")


def test_kg_build_validate_checks_the_new_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--store", str(tmp_path / "s"), "--validate"]) == 0
    assert "conforms:" in capsys.readouterr().out


def test_oxigraph_and_pyshacl_agree_on_every_result(
    store_copy: StoreCopy, chunk_and_span: tuple[str, int, int]
) -> None:
    chunk, begin, end = chunk_and_span
    store = store_copy(
        PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}/authorship/3> ?p ?o }} }}",
        PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{PAPER}> dcterms:title ?t }} }}",
        claim_update(LLAMA + "/claim/1", chunk, SENTENCE, begin + 1, end + 1),
        claim_update(LLAMA + "/claim/2", chunk, SENTENCE, begin, 10**6),
    )
    mixed = validate_store(store)
    pure = validate_graph(to_rdflib(store.quads()))
    assert [(r.focus, r.path, r.message, r.value) for r in mixed.results] == [
        (r.focus, r.path, r.message, r.value) for r in pure.results
    ]
    assert len(mixed.results) >= 5


def test_small_batches_find_the_same_results(
    store_copy: StoreCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = BASE + "person/xuena-wang"
    store = store_copy(PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{person}> foaf:name ?n }} }}",
                       PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{LLAMA}> dcterms:issued ?d }} }}")
    whole = validate_store(store)
    monkeypatch.setattr(validate, "BATCH_GRAPHS", 1)
    monkeypatch.setattr(validate, "BATCH_SHARED_QUADS", 50)
    assert sum(1 for _ in validate._batches(store, BASE)) > 10
    batched = validate_store(store)
    assert batched.results == whole.results
    assert found(batched, person, "foaf:name", "a person has a name")
    assert found(batched, LLAMA, "dcterms:issued", "a paper has exactly one issued date")
    assert len(batched.results) == 2, batched.text()
