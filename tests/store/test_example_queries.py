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
    result = sample_store.query(text)
    # federated queries need the remote endpoints: only parse them here
    if hasattr(result, "variables") and "SERVICE" not in text:
        assert list(result), f"{path.name} returned no rows on the sample"
