"""The other direction: independent engines federate one query across our endpoint and a fixture endpoint.

The Oxigraph server runs ``SERVICE <our endpoint>`` from a query over its own data, and Comunica joins
our endpoint with the fixture as two sources. Both need ``kg serve`` (the endpoint issue): until it is
registered in ``kg.cli.COMMANDS`` these tests are skipped with that reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg.cli import make_parser
from kg.federation import Federation
from tests.federation.conftest import free_port

SCHOLARLY = "https://query-scholarly.wikidata.org/sparql"
COMUNICA = Path(__file__).parent / "comunica" / "node_modules" / ".bin" / "comunica-sparql"
PREFIXES = (
    "PREFIX kg: <https://w3id.org/arxiv-kg/ontology#>\n"
    "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
)


def _has_serve() -> bool:
    action = next(a for a in make_parser()._actions if a.dest == "command")
    return "serve" in action.choices


pytestmark = pytest.mark.skipif(not _has_serve(), reason="needs `kg serve` (the endpoint issue, branch server)")


@pytest.fixture(scope="module")
def our_endpoint(sample_store_dir):
    port = free_port()
    env = {**os.environ, "KG_FEDERATION_ALLOW": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(sample_store_dir), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "?query=" + urllib.parse.quote("ASK {}"), timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("kg serve did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def expected(sample_store, fixture_servers, fixture_settings) -> set[tuple[str, str]]:
    """The join computed in-process: our papers with the fixture's items on the bare arXiv id."""
    query = PREFIXES + (
        f"SELECT ?item ?paper WHERE {{ ?paper kg:arxivId ?id . SERVICE <{fixture_servers[SCHOLARLY]}> "
        "{ ?item wdt:P818 ?id } }"
    )
    rows = {(s["item"].value, s["paper"].value) for s in Federation(fixture_settings).execute(sample_store, query)}
    assert len(rows) >= 2
    return rows


def _json_rows(payload: bytes) -> set[tuple[str, str]]:
    bindings = json.loads(payload)["results"]["bindings"]
    return {(b["item"]["value"], b["paper"]["value"]) for b in bindings}


def test_oxigraph_server_runs_service_against_our_endpoint(our_endpoint, fixture_servers, expected):
    query = PREFIXES + (
        f"SELECT ?item ?paper WHERE {{ ?item wdt:P818 ?id . SERVICE <{our_endpoint}> {{ ?paper kg:arxivId ?id }} }}"
    )
    request = urllib.request.Request(
        fixture_servers[SCHOLARLY], data=query.encode(), method="POST",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert _json_rows(response.read()) == expected


@pytest.mark.skipif(not COMUNICA.exists(), reason="Comunica not installed: make node-deps")
def test_comunica_federates_our_endpoint_with_a_fixture(our_endpoint, fixture_servers, expected):
    query = PREFIXES + "SELECT ?item ?paper WHERE { ?item wdt:P818 ?id . ?paper kg:arxivId ?id }"
    proc = subprocess.run(
        [str(COMUNICA), f"sparql@{our_endpoint}", f"sparql@{fixture_servers[SCHOLARLY]}", "-q", query,
         "-t", "application/sparql-results+json"],
        capture_output=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert _json_rows(proc.stdout) == expected
