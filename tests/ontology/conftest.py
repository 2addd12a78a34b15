"""Fixtures of the ontology, validation, export and VoID tests: the bundled sample built once on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg.store import KgStore, StoreDirectory


@pytest.fixture(scope="session")
def sample_nquads(sample_store: KgStore) -> list[str]:
    return list(sample_store.nquads())


def copy_of_sample(root: Path, nquads: list[str], *updates: str) -> KgStore:
    """A writable on-disk copy of the sample store at ``root``, changed by the given SPARQL updates."""
    directory = StoreDirectory(root)
    with directory.new_version() as writer:
        writer.bulk_load_nquads(nquads)
    store = directory.open(read_only=False)
    for update in updates:
        store.update(update)
    return store


@pytest.fixture
def store_copy(tmp_path: Path, sample_nquads: list[str]) -> Callable[..., KgStore]:
    """Makes a writable on-disk copy of the sample store, changed by the given SPARQL updates."""

    def make(*updates: str) -> KgStore:
        return copy_of_sample(tmp_path / "copy", sample_nquads, *updates)

    return make
