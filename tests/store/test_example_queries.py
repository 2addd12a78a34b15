"""Every example query in queries/ has a header and runs on the sample graph."""

from __future__ import annotations

from pathlib import Path

import pytest

QUERIES = sorted((Path(__file__).parents[2] / "queries").glob("*.rq"))


def test_there_are_example_queries():
    assert QUERIES


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_example_query_has_a_header_and_runs(path, sample_store):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# title: ") and "\n# description: " in text
    if "SERVICE" in text:
        # federated queries run against loopback fixtures in tests/federation; here no query may leave
        # the machine, so only check that they call allowlisted endpoints (no DNS lookup)
        from kg.federation import check_query
        from kg.settings import DEFAULT_FEDERATION_ALLOW

        assert check_query(text, DEFAULT_FEDERATION_ALLOW, resolve=lambda host, port: ["93.184.215.14"])
        return
    result = sample_store.query(text)
    if hasattr(result, "variables"):
        assert list(result), f"{path.name} returned no rows on the sample"
