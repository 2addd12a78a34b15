"""Hugging Face inputs: a folder written by ``save_to_disk`` (read with pyarrow), and ``hf:NAME`` via ``datasets``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kg.build import build
from kg.errors import InputError
from kg.sources.readers import read_path, sample_path
from kg.store import StoreDirectory

# datasets reads these when imported: no test may reach the Hub (or any non-loopback address)
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
datasets = pytest.importorskip("datasets")  # in the dev extra; the hf extra for users
BASE = "https://w3id.org/arxiv-kg/"


def _quads(store: Path) -> list[str]:
    return sorted(StoreDirectory(store).open().nquads())


def _sample_rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in sample_path().read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    store = tmp_path_factory.mktemp("ref") / "store"
    build([sample_path()], store, base_iri=BASE)
    return _quads(store)


def test_saved_dataset_folder_builds_the_same_graph_as_the_jsonl(tmp_path: Path, reference: list[str]) -> None:
    folder = tmp_path / "saved"
    datasets.Dataset.from_list(_sample_rows()).save_to_disk(str(folder), max_shard_size="100KB")
    assert len(list(folder.glob("*.arrow"))) > 1  # several Arrow files, read in order
    report = build([folder], tmp_path / "store", base_iri=BASE)
    assert (report.rows, report.papers, report.chunks, report.rejected) == (100, 2, 100, 0)
    assert _quads(tmp_path / "store") == reference


def test_saved_dataset_dict_folder_reads_every_split(tmp_path: Path, reference: list[str]) -> None:
    rows = _sample_rows()
    folder = tmp_path / "saved-dict"
    datasets.DatasetDict({
        "train": datasets.Dataset.from_list(rows[:60]),
        "test": datasets.Dataset.from_list(rows[60:]),
    }).save_to_disk(str(folder))
    build([folder], tmp_path / "store", base_iri=BASE)
    assert _quads(tmp_path / "store") == reference


def test_saved_dataset_rows_are_numbered_for_rejects(tmp_path: Path) -> None:
    rows = _sample_rows()[:3]
    rows[2] = {**rows[2], "title": ""}
    folder = tmp_path / "saved"
    datasets.Dataset.from_list(rows).save_to_disk(str(folder))
    parsed = list(read_path(folder))
    assert [getattr(r, "line", None) for r in parsed] == [1, 2, 3]
    assert parsed[2].field == "title"


def test_hub_name_loads_through_datasets(tmp_path: Path, reference: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A local dataset folder stands in for the Hub (no network here); the code path is load_dataset's.
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    repo = tmp_path / "ai-arxiv-local"
    repo.mkdir()
    (repo / "train.jsonl").write_bytes(sample_path().read_bytes())
    report = build([Path(f"hf:{repo}")], tmp_path / "store", base_iri=BASE)
    assert (report.rows, report.papers, report.rejected) == (100, 2, 0)
    assert _quads(tmp_path / "store") == reference


def test_folder_that_is_not_a_saved_dataset_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a saved Hugging Face dataset"):
        list(read_path(tmp_path))
