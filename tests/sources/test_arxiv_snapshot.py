"""The arXiv metadata snapshot reader: papers, ordered authors, categories, DOI, licence, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main
from kg.sources.readers import read_path
from kg.sources.records import Rejected
from kg.store import StoreDirectory

BASE = "https://w3id.org/arxiv-kg/"
KG = "https://w3id.org/arxiv-kg/ontology#"
DIPHOTON = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Nadolsky", "P. M.", ""], ["Yuan", "C. -P.", ""],
    ],
}
WITH_SUFFIX = {
    "id": "2101.00002",
    "submitter": "A. Person",
    "authors": "Ann Person Jr and Bo Other",
    "title": "Second paper",
    "comments": None,
    "journal-ref": None,
    "doi": None,
    "report-no": None,
    "categories": "cs.CL cs.LG",
    "license": "http://creativecommons.org/licenses/by/4.0/",
    "abstract": "We show a thing.",
    "versions": [{"version": "v1", "created": "Sat, 2 Jan 2021 10:00:00 GMT"}],
    "update_date": "2021-01-05",
    "authors_parsed": [["Person", "Ann", "Jr"], ["Other", "Bo", ""]],
}


def _write(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _rows(store: StoreDirectory, sparql: str) -> list[tuple[str, ...]]:
    result = store.open().query(sparql)
    names = [v.value for v in result.variables]
    return [tuple(s[n].value if s[n] is not None else None for n in names) for s in result]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> StoreDirectory:
    tmp = tmp_path_factory.mktemp("snapshot")
    source = _write(tmp / "arxiv-metadata-oai-snapshot.json", [DIPHOTON, WITH_SUFFIX])
    assert main(["build", "--input", str(source), "--store", str(tmp / "store")]) == 0
    return StoreDirectory(tmp / "store")


def test_snapshot_detected_by_shape_gives_papers_without_chunks(built: StoreDirectory) -> None:
    rows = _rows(built, "SELECT ?id WHERE { ?p a <http://purl.org/spar/fabio/Preprint> ; "
                        f"<{KG}arxivId> ?id }} ORDER BY ?id")
    assert rows == [("0704.0001",), ("2101.00002",)]
    assert _rows(built, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?c a <{KG}Chunk> }}") == [("0",)]


def test_authors_come_in_order_from_authors_parsed(built: StoreDirectory) -> None:
    rows = _rows(built, f"""SELECT ?pos ?name WHERE {{
        <{BASE}paper/0704.0001> <{KG}authorship> ?a . ?a <{KG}position> ?pos ; <{KG}author> ?who .
        ?who <http://xmlns.com/foaf/0.1/name> ?name }} ORDER BY ?pos""")
    assert rows == [("1", "C. Balázs"), ("2", "E. L. Berger"), ("3", "P. M. Nadolsky"), ("4", "C. -P. Yuan")]
    suffixed = _rows(built, f"""SELECT ?name WHERE {{ <{BASE}paper/2101.00002> <{KG}authorship> ?a .
        ?a <{KG}position> 1 ; <{KG}author> ?who . ?who <http://xmlns.com/foaf/0.1/name> ?name }}""")
    assert suffixed == [("Ann Person Jr",)]


def test_real_doi_is_kept_and_arxiv_doi_is_the_fallback(built: StoreDirectory) -> None:
    rows = _rows(built, "SELECT ?p ?doi WHERE { ?p <http://purl.org/ontology/bibo/doi> ?doi } ORDER BY ?p")
    assert rows == [
        (f"{BASE}paper/0704.0001", "10.1103/PhysRevD.76.013009"),
        (f"{BASE}paper/2101.00002", "10.48550/arXiv.2101.00002"),
    ]


def test_categories_licence_report_number_and_title(built: StoreDirectory) -> None:
    subjects = _rows(built, f"""SELECT ?s ?primary WHERE {{ <{BASE}paper/2101.00002>
        <http://purl.org/dc/terms/subject> ?s ; <{KG}primaryCategory> ?primary }} ORDER BY ?s""")
    cl, lg = f"{BASE}category/cs.CL", f"{BASE}category/cs.LG"
    assert subjects == [(cl, cl), (lg, cl)]
    licence = _rows(built, f"SELECT ?l WHERE {{ <{BASE}paper/2101.00002> <http://purl.org/dc/terms/license> ?l }}")
    assert licence == [("http://creativecommons.org/licenses/by/4.0/",)]
    assert _rows(built, f"SELECT ?l WHERE {{ <{BASE}paper/0704.0001> <http://purl.org/dc/terms/license> ?l }}") == []
    report = _rows(built, f"SELECT ?r WHERE {{ <{BASE}paper/0704.0001> <{KG}reportNumber> ?r }}")
    assert report == [("ANL-HEP-PR-07-12",)]
    title = _rows(built, f"SELECT ?t WHERE {{ <{BASE}paper/0704.0001> <http://purl.org/dc/terms/title> ?t }}")
    assert title == [("Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",)]


def test_versions_with_dates_give_issued_and_modified(built: StoreDirectory) -> None:
    versions = _rows(built, f"""SELECT ?label ?created WHERE {{ <{BASE}paper/0704.0001> <{KG}version> ?v .
        ?v a <{KG}Version> ; <{KG}versionLabel> ?label ; <http://purl.org/dc/terms/created> ?created }}
        ORDER BY ?label""")
    assert versions == [("v1", "2007-04-02T19:18:42Z"), ("v2", "2007-07-24T20:10:27Z")]
    dates = _rows(built, f"""SELECT ?issued ?modified WHERE {{ <{BASE}paper/0704.0001>
        <http://purl.org/dc/terms/issued> ?issued ; <http://purl.org/dc/terms/modified> ?modified }}""")
    assert dates == [("2007-04-02", "2007-07-24")]


def test_format_flag_forces_the_layout(tmp_path: Path) -> None:
    minimal = {"id": "2101.00003", "title": "Minimal", "authors": "Ann Person", "categories": "cs.AI"}
    source = _write(tmp_path / "minimal.jsonl", [minimal])
    # Without the flag the record is read as an ai-arxiv row, which has no arXiv id in "doi".
    assert main(["build", "--input", str(source), "--store", str(tmp_path / "a")]) == 3
    assert main(["build", "--input", str(source), "--store", str(tmp_path / "b"), "--format", "arxiv-snapshot"]) == 0
    rows = _rows(StoreDirectory(tmp_path / "b"), f"SELECT ?id WHERE {{ ?p <{KG}arxivId> ?id }}")
    assert rows == [("2101.00003",)]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"versions": [{"version": "v1", "created": "Mon, 99 Foo 2007"}]}, "versions[0].created", "not a valid date"),
        ({"versions": [{"version": "1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}, "versions[0].version", "v1"),
        ({"doi": "not a doi"}, "doi", "not a DOI"),
        ({"categories": "hep-ph no.SUCH"}, "categories", "not an arXiv category"),
        ({"authors_parsed": [["", "", ""]], "authors": ""}, "authors_parsed", "no author names"),
        ({"authors_parsed": "Balázs"}, "authors_parsed", "expected a list"),
        ({"license": "all rights reserved"}, "license", "licence URL"),
        ({"id": "not-an-id"}, "id", "not an arXiv id"),
        ({"title": "  "}, "title", "missing"),
    ],
)
def test_bad_snapshot_record_is_rejected_naming_the_field(
    tmp_path: Path, change: dict[str, object], field: str, reason: str
) -> None:
    source = _write(tmp_path / "bad.jsonl", [WITH_SUFFIX, {**DIPHOTON, **change}])
    rows = list(read_path(source))
    assert not isinstance(rows[0], Rejected)
    rejected = rows[1]
    assert isinstance(rejected, Rejected)
    assert (rejected.line, rejected.field) == (2, field)
    assert reason in rejected.reason


def test_synthetic_snapshot_builds_without_rejects(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "snap.jsonl"
    subprocess.run(
        [sys.executable, str(root / "bench" / "synth.py"), "--papers", "300", "--shape", "arxiv-snapshot",
         "--seed", "3", "--output", str(source)],
        check=True, capture_output=True,
    )
    assert main(["build", "--input", str(source), "--store", str(tmp_path / "store")]) == 0
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?p a <http://purl.org/spar/fabio/Preprint> }"
    rows = _rows(StoreDirectory(tmp_path / "store"), query)
    assert rows == [("300",)]
