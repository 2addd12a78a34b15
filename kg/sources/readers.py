"""Input readers: JSON Lines (plain or gzip) and Parquet files, streamed row by row."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from kg.errors import InputError, RecordError
from kg.sources.ai_arxiv import parse_row
from kg.sources.records import Rejected, SourceRecord

SAMPLE_NAME = "ai-arxiv-sample.jsonl"

Row = SourceRecord | Rejected


def sample_path() -> Path:
    """The bundled sample: 100 chunk rows of 2 papers."""
    return Path(str(resources.files("kg.data").joinpath(SAMPLE_NAME)))


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise InputError(f"{path}: unknown input format (expected .jsonl, .jsonl.gz or .parquet)")


def _reject(source: str, line: int, err: RecordError, raw: Any) -> Rejected:
    return Rejected(source, line, err.reason, err.field, err.record_id, raw)


def _parse(raw: Any, source: str, line: int) -> Row:
    try:
        return parse_row(raw, source=source, line=line)
    except RecordError as err:
        return _reject(source, line, err, raw)


def read_jsonl(path: Path) -> Iterator[Row]:
    """Rows of a JSON Lines file; a blank line is skipped, a broken one rejected with its line number."""
    source = str(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="\n")
        for line_no, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as err:
                yield Rejected(source, line_no, f"invalid JSON: {err}", None, None, _safe(line.rstrip("\n")))
                continue
            yield _parse(raw, source, line_no)


def _safe(text: str) -> str:
    """Undecodable bytes kept as escapes so that a reject file stays valid UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_parquet(path: Path, *, batch_size: int = 1024) -> Iterator[Row]:
    """Rows of a Parquet file, read in record batches; ``line`` is the 1-based row number."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several unrelated types for unreadable files
        raise InputError(f"{path}: not a readable Parquet file ({err})") from err
    source = str(path)
    row_no = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        for raw in batch.to_pylist():
            row_no += 1
            yield _parse(raw, source, row_no)


def read_path(path: Path) -> Iterator[Row]:
    """Rows of one input file, its format told by its name."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    fmt = detect_format(path)
    return read_jsonl(path) if fmt == "jsonl" else read_parquet(path)


def check_inputs(paths: Iterable[Path]) -> list[Path]:
    """The input paths, each checked to exist and have a known format; the sample when none is given."""
    checked = [Path(p) for p in paths] or [sample_path()]
    for path in checked:
        detect_format(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    return checked


def read_inputs(paths: Iterable[Path]) -> Iterator[Row]:
    """Rows of several inputs, one after the other; the bundled sample when none is given."""
    for path in check_inputs(paths):
        yield from read_path(Path(path))
