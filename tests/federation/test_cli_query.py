"""`kg query` runs federated queries through the allowlist and the bind join too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.federation.conftest import rewrite

QUERY = Path(__file__).parents[2] / "queries" / "semopenalex-citation-counts.rq"


def _kg(*args: str, allow: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_FEDERATION_ALLOW": allow}
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env)


def test_kg_query_answers_an_allowlisted_service(sample_store_dir, fixture_servers):
    endpoint = fixture_servers["https://semopenalex.org/sparql"]
    text = rewrite(QUERY.read_text(encoding="utf-8"), fixture_servers)
    proc = _kg("query", "--store", str(sample_store_dir), "--format", "json", text, allow=endpoint)
    assert proc.returncode == 0, proc.stderr
    counts = [b["citedByCount"]["value"] for b in json.loads(proc.stdout)["results"]["bindings"]]
    assert counts == ["9001", "42"]


def test_kg_query_refuses_a_service_that_is_not_allowlisted(sample_store_dir, fixture_servers):
    text = rewrite(QUERY.read_text(encoding="utf-8"), fixture_servers)
    proc = _kg("query", "--store", str(sample_store_dir), text, allow="")
    assert proc.returncode == 1
    assert "KG501" in proc.stderr and fixture_servers["https://semopenalex.org/sparql"] in proc.stderr
