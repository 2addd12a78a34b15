"""Live servers for the linked-data tests: the bundled sample under the default base IRI, and a
second store under another base IRI holding an old-style arXiv id, with updates enabled."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.build import build
from kg.sources.readers import sample_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

OTHER_BASE = "http://example.org/kg/"
OLD_STYLE_ID = "hep-th/9901001"
TOKEN = "linked-data-test-token"


@pytest.fixture(scope="session")
def ld_server(sample_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``kg serve`` over the sample store (default base IRI, read-only)."""
    live = start_server(sample_store_dir, tmp_path_factory.mktemp("ld-logs"))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def other_base_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``kg serve`` with ``KG_BASE_IRI=http://example.org/kg/`` over the sample plus an old-style paper
    (a copy of 2307.09042's rows under ``hep-th/9901001`` that also cites 2307.09042); updates on."""
    root = tmp_path_factory.mktemp("ld-other")
    rows = [json.loads(line) for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]
    extra = []
    for row in rows:
        if row["doi"] == "2307.09042":
            copy = dict(row, doi=OLD_STYLE_ID, id=f"{OLD_STYLE_ID}#{row['chunk-id']}",
                        title="An old-style paper", references=[{"id": "2307.09042"}])
            extra.append(copy)
    data = root / "input.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows + extra), encoding="utf-8")
    report = build([data], root / "store", base_iri=OTHER_BASE, claims=False)
    assert report.rejected == 0
    live = start_server(root / "store", root, token=TOKEN, KG_BASE_IRI=OTHER_BASE)
    yield live
    live.stop()
