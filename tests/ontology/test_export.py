"""``kg export``: every format parses with rdflib; the N-Quads dump reloads to the same quads."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from kg.cli import main
from kg.export import ExportError, export
from kg.store import KgStore, StoreDirectory

PAPER_GRAPH = "https://w3id.org/arxiv-kg/graph/2307.09042"


def union_triples(store: KgStore) -> int:
    return int(next(iter(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    )))["n"].value)


def test_nquads_dump_reloads_into_an_empty_store_to_the_same_quads(
    sample_store_dir: Path, sample_store: KgStore, tmp_path: Path
) -> None:
    dump = tmp_path / "kg.nq.gz"
    assert main(["export", "--store", str(sample_store_dir), "--format", "nquads", "--output", str(dump)]) == 0
    with gzip.open(dump, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == len(sample_store)
    copy = StoreDirectory(tmp_path / "reloaded")
    with copy.new_version() as writer:
        writer.store.load_file(dump)
    reloaded = copy.open()
    assert len(reloaded) == len(sample_store)
    assert set(reloaded.nquads()) == set(sample_store.nquads())


@pytest.mark.parametrize(("fmt", "suffix"), [("nquads", ".nq.gz"), ("trig", ".trig"), ("jsonld", ".jsonld.gz")])
def test_rdflib_parses_every_dataset_format_to_the_same_quads(
    sample_store: KgStore, tmp_path: Path, fmt: str, suffix: str
) -> None:
    out = tmp_path / f"kg{suffix}"
    export(sample_store, out, format=fmt)
    data = gzip.decompress(out.read_bytes()) if suffix.endswith(".gz") else out.read_bytes()
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format={"nquads": "nquads", "trig": "trig", "jsonld": "json-ld"}[fmt])
    default = dataset.default_graph.identifier
    quads = {(s, p, o, g) for s, p, o, g in dataset.quads((None, None, None, None)) if g != default}
    assert len(quads) == len(sample_store)
    expected = rdflib.Dataset()
    expected.parse(data="".join(sample_store.nquads()), format="nquads")
    assert quads == {q for q in expected.quads((None, None, None, None)) if q[3] != expected.default_graph.identifier}


def test_rdflib_parses_the_turtle_dump_of_the_union_of_graphs(sample_store: KgStore, tmp_path: Path) -> None:
    out = tmp_path / "kg.ttl.gz"
    export(sample_store, out)
    graph = rdflib.Graph().parse(data=gzip.decompress(out.read_bytes()), format="turtle")
    assert len(graph) == union_triples(sample_store)
    assert out.read_bytes()[:2] == b"\x1f\x8b"


def test_export_of_one_graph_holds_exactly_its_triples(sample_store: KgStore, tmp_path: Path) -> None:
    out = tmp_path / "paper.ttl"
    export(sample_store, out, graph=PAPER_GRAPH, base_iri="https://w3id.org/arxiv-kg/")
    graph = rdflib.Graph().parse(out, format="turtle")
    expected = int(next(iter(sample_store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PAPER_GRAPH}> {{ ?s ?p ?o }} }}"
    )))["n"].value)
    assert len(graph) == expected > 0
    assert "@prefix paper: <https://w3id.org/arxiv-kg/paper/>" in out.read_text()


def test_export_of_an_unknown_graph_fails_and_leaves_no_file(sample_store: KgStore, tmp_path: Path) -> None:
    out = tmp_path / "none.nq"
    with pytest.raises(ExportError, match="no graph"):
        export(sample_store, out, graph="https://w3id.org/arxiv-kg/graph/nope")
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_export_without_a_format_or_known_extension_says_so(sample_store: KgStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="give --format"):
        export(sample_store, tmp_path / "kg.data")


def test_export_to_a_pipe_that_closes_early_stops_quietly(sample_store_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "export", "--store", str(sample_store_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, errors
    assert first.endswith(b" .\n")
    assert "Traceback" not in errors
