"""The ``kg`` command as a user runs it: help with examples, exit statuses, output formats."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from kg.cli import COMMANDS, make_parser


def kg(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _subcommands() -> list[str]:
    parser = make_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_command_is_listed_once():
    assert len(_subcommands()) == len(COMMANDS)


@pytest.mark.parametrize("command", [None, *_subcommands()])
def test_every_command_has_help_with_an_example(command):
    proc = kg(*([command] if command else []), "--help")
    assert "example:" in proc.stdout
    assert "kg " in proc.stdout.split("example:")[1]


def test_build_with_no_input_builds_the_bundled_sample(tmp_path):
    proc = kg("build", "--store", str(tmp_path / "s"))
    assert "2 papers, 100 chunks" in proc.stderr
    stats = json.loads(kg("stats", "--store", str(tmp_path / "s"), "--json").stdout)
    assert stats["papers"] == 2 and stats["chunks"] == 100 and stats["authors"] == 73
    assert stats["citations"] == 67 and stats["graphs"] >= 5 and stats["triples"] > 2000


def test_settings_come_from_kg_environment_variables(tmp_path):
    env = {"KG_STORE": str(tmp_path / "env-store"), "KG_BASE_IRI": "https://example.org/x/"}
    kg("build", env=env)
    out = kg("query", "--format", "tsv", "SELECT ?p WHERE { ?p <http://purl.org/dc/terms/title> ?t }", env=env)
    assert sorted(out.stdout.splitlines()[1:]) == [
        "<https://example.org/x/paper/2307.09042>", "<https://example.org/x/paper/2307.09288>"]


def test_build_exits_non_zero_and_names_the_rejects_file(tmp_path, sample_rows):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(sample_rows[0]) + "\n" + json.dumps({"doi": "2307.09288"}) + "\n")
    proc = kg("build", "--input", str(path), "--store", str(tmp_path / "s"), "--rejects", str(tmp_path / "r.jsonl"),
              check=False)
    assert proc.returncode == 3
    assert "1 rows rejected" in proc.stderr and str(tmp_path / "r.jsonl") in proc.stderr
    assert "field 'title'" in proc.stderr
    reject = json.loads((tmp_path / "r.jsonl").read_text())
    assert reject["line"] == 2 and reject["field"] == "title" and reject["raw"] == {"doi": "2307.09288"}


def test_a_missing_store_is_a_clear_error(tmp_path):
    proc = kg("stats", "--store", str(tmp_path / "nothing"), check=False)
    assert proc.returncode == 1
    assert "no store here" in proc.stderr and "Traceback" not in proc.stderr


def test_a_malformed_query_is_a_clear_error(sample_store_dir):
    proc = kg("query", "--store", str(sample_store_dir), "SELECT ?x WHERE { ?x", check=False)
    assert proc.returncode == 1 and "malformed query" in proc.stderr and "Traceback" not in proc.stderr


QUERY = (
    "SELECT ?id ?t WHERE { ?p <https://w3id.org/arxiv-kg/ontology#arxivId> ?id ; "
    "<http://purl.org/dc/terms/title> ?t } ORDER BY ?id"
)


def test_query_formats_parse_with_independent_parsers(sample_store_dir):
    store = ["--store", str(sample_store_dir)]
    table = kg("query", *store, QUERY).stdout
    assert "Emotional Intelligence" in table and "(2 rows)" in table
    rows = list(csv.DictReader(io.StringIO(kg("query", *store, "--format", "csv", QUERY).stdout)))
    assert [r["id"] for r in rows] == ["2307.09042", "2307.09288"]
    data = json.loads(kg("query", *store, "--format", "json", QUERY).stdout)
    assert data["head"]["vars"] == ["id", "t"] and len(data["results"]["bindings"]) == 2
    tsv = kg("query", *store, "--format", "tsv", QUERY).stdout.splitlines()
    assert tsv[0] == "?id\t?t" and len(tsv) == 3
    xml = ET.fromstring(kg("query", *store, "--format", "xml", QUERY).stdout)
    assert len(xml.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 2


def test_construct_prints_rdf_that_rdflib_reads(sample_store_dir):
    import rdflib

    out = kg("query", "--store", str(sample_store_dir),
             "CONSTRUCT { ?p <http://purl.org/dc/terms/title> ?t } WHERE { ?p <http://purl.org/dc/terms/title> ?t }")
    graph = rdflib.Graph().parse(data=out.stdout, format="turtle")
    assert len(graph) == 2
