"""Fixtures shared by the whole suite: the bundled sample, built once into an on-disk store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from kg.sources.readers import sample_path
from kg.store import KgStore, StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI, PREFIXES

PREFIX_HEADER = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def select(store: KgStore, query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT as dicts of plain values (IRIs and literals as their string value)."""
    solutions = store.query(PREFIX_HEADER + query)
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def sample_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the bundled sample with the default base IRI (do not write to it)."""
    path = tmp_path_factory.mktemp("sample") / "kg-store"
    report = build([], path, base_iri=DEFAULT_BASE_IRI)
    assert report.rejected == 0
    return path


@pytest.fixture(scope="session")
def sample_store(sample_store_dir: Path) -> KgStore:
    return StoreDirectory(sample_store_dir).open()
