"""Input readers: JSON Lines (plain or gzip), Parquet, Hugging Face datasets, streamed row by row.

Two record layouts are understood: the ai-arxiv chunk rows and the arXiv metadata snapshot; the
layout of an input is told by the shape of its first record unless it is given (``layout=``).
Containers: ``.jsonl``/``.jsonl.gz``, ``.parquet``, an ``.arrow`` file, a folder written by
``datasets.Dataset.save_to_disk`` (its Arrow files are read with pyarrow alone), and
``hf:NAME`` (or ``hf:NAME:SPLIT``), loaded through ``datasets`` in streaming mode.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from kg.errors import InputError, RecordError
from kg.sources.ai_arxiv import parse_row
from kg.sources.arxiv_snapshot import looks_like_snapshot, parse_snapshot_record
from kg.sources.records import Rejected, SourceRecord

SAMPLE_NAME = "ai-arxiv-sample.jsonl"
AI_ARXIV = "ai-arxiv"
ARXIV_SNAPSHOT = "arxiv-snapshot"
LAYOUTS = (AI_ARXIV, ARXIV_SNAPSHOT)
HF_PREFIX = "hf:"
READ_BUFFER_BYTES = 1 << 20

Row = SourceRecord | Rejected
RawRows = Iterator[tuple[int, Any]]  # (line or row number, a decoded record or a Rejected)
_PARSERS: dict[str, Callable[..., SourceRecord]] = {AI_ARXIV: parse_row, ARXIV_SNAPSHOT: parse_snapshot_record}


def sample_path() -> Path:
    """The bundled sample: 100 chunk rows of 2 papers."""
    return Path(str(resources.files("kg.data").joinpath(SAMPLE_NAME)))


def is_hub_name(path: Path | str) -> bool:
    return str(path).startswith(HF_PREFIX)


def detect_format(path: Path | str) -> str:
    """The container of an input: ``jsonl``, ``parquet``, ``arrow``, ``hf-disk`` (a folder) or ``hf-hub``."""
    if is_hub_name(path):
        return "hf-hub"
    path = Path(path)
    if path.is_dir():
        if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return "hf-disk"
        raise InputError(f"{path}: a folder that is not a saved Hugging Face dataset (no state.json)")
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    raise InputError(
        f"{path}: unknown input format (expected .jsonl, .jsonl.gz, .parquet, .arrow, "
        "a saved Hugging Face dataset folder or hf:NAME)"
    )


def _reject(source: str, line: int, err: RecordError, raw: Any) -> Rejected:
    return Rejected(source, line, err.reason, err.field, err.record_id, raw)


def parse_rows(raws: RawRows, source: str, *, layout: str | None = None) -> Iterator[Row]:
    """Typed records (or rejects) from decoded records; the layout is told by the first record if not given."""
    if layout is not None and layout not in _PARSERS:
        raise InputError(f"{source}: unknown record layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
    parse = _PARSERS[layout] if layout else None
    for line, raw in raws:
        if isinstance(raw, Rejected):
            yield raw
            continue
        if parse is None:
            parse = _PARSERS[ARXIV_SNAPSHOT if looks_like_snapshot(raw) else AI_ARXIV]
        try:
            yield parse(raw, source=source, line=line)
        except RecordError as err:
            yield _reject(source, line, err, raw)


class RowDecoder:
    """``orjson.loads`` for JSON Lines whose rows end alike (an ai-arxiv paper's metadata on each chunk row).

    A row ``{..., "title": ...}`` whose bytes from the top-level ``"title"`` member on equal those of the row
    before decodes only the members before it and takes the rest from that row: the same dict, key order
    and errors as a full decode (``tests/sources/test_readers.py``), a fifth of the cost of an ai-arxiv row.
    The split is at the top level because the part before it must decode as an object once closed.
    """

    _MARKS = (b', "title": ', b',"title":')

    def __init__(self) -> None:
        self._tail: bytes | None = None
        self._members: dict[str, Any] = {}

    def __call__(self, data: bytes) -> Any:
        for mark in self._MARKS:
            split = data.find(mark)
            if split > 0:
                break
        else:
            return orjson.loads(data)
        tail = data[split:]
        try:
            if tail != self._tail:
                self._members = orjson.loads(b"{" + tail[1:])
                self._tail = tail
            head = orjson.loads(data[:split] + b"}")
        except orjson.JSONDecodeError:
            return orjson.loads(data)
        if not isinstance(head, dict):  # pragma: no cover - a closed "{..." decodes to a dict or fails
            return orjson.loads(data)
        head.update(self._members)
        return head


def raw_jsonl(
    path: Path, *, start: int = 0, end: int | None = None, first_line: int = 1,
    keep: Callable[[bytes], bool] | None = None,
) -> RawRows:
    """Decoded lines of a JSON Lines file; a blank line is skipped, a broken one rejected with its number.

    ``start``/``end`` read only the lines that begin in that byte range (plain files), ``first_line``
    being the number of the first of them: this is how a file is split into partitions. ``keep``, given
    a line's bytes, says whether to decode it at all (a parallel build splits the lines this way).
    """
    source = str(path)
    gz = path.name.endswith(".gz")
    decode = RowDecoder()
    # iterating the lines of a large file takes half as long with a 1 MB buffer as with the default 8 KB
    with (gzip.open(path, "rb") if gz else open(path, "rb", buffering=READ_BUFFER_BYTES)) as binary:
        if start and not gz:
            binary.seek(start - 1)
            if binary.read(1) != b"\n":
                binary.readline()  # finish the line that began before the range
        position = binary.tell()
        for line_no, data in enumerate(binary, start=first_line):
            if end is not None and not gz and position >= end:
                break
            position += len(data)
            if keep is not None and not keep(data):
                continue
            try:
                yield line_no, decode(data)
                continue
            except orjson.JSONDecodeError:
                pass  # invalid UTF-8, NaN, huge integers, a blank or broken line: the standard library decides
            if not data.strip():
                continue
            text = data.decode("utf-8", "surrogateescape")
            try:
                raw = json.loads(text)
            except ValueError as err:
                yield line_no, Rejected(source, line_no, f"invalid JSON: {err}", None, None, _safe(text.rstrip("\n")))
                continue
            yield line_no, raw


def read_jsonl(path: Path, *, layout: str | None = None) -> Iterator[Row]:
    """Rows of a JSON Lines file."""
    return parse_rows(raw_jsonl(path), str(path), layout=layout)


def _safe(text: str) -> str:
    """Undecodable bytes kept as escapes so that a reject file stays valid UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_parquet(path: Path, *, batch_size: int = 1024, row_groups: list[int] | None = None) -> RawRows:
    """Rows of a Parquet file (or of some of its row groups), read in record batches; numbered from 1."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several unrelated types for unreadable files
        raise InputError(f"{path}: not a readable Parquet file ({err})") from err
    row_no = 0
    if row_groups:
        row_no = sum(parquet.metadata.row_group(i).num_rows for i in range(min(row_groups)))
    for batch in parquet.iter_batches(batch_size=batch_size, row_groups=row_groups):
        for raw in batch.to_pylist():
            row_no += 1
            yield row_no, raw


def read_parquet(path: Path, *, batch_size: int = 1024, layout: str | None = None) -> Iterator[Row]:
    """Rows of a Parquet file; ``line`` is the 1-based row number."""
    return parse_rows(raw_parquet(path, batch_size=batch_size), str(path), layout=layout)


def arrow_files(folder: Path) -> list[Path]:
    """The Arrow files of a folder written by ``save_to_disk`` (a Dataset, or every split of a DatasetDict)."""
    if (folder / "dataset_dict.json").exists():
        splits = json.loads((folder / "dataset_dict.json").read_text())["splits"]
        return [f for split in splits for f in arrow_files(folder / split)]
    state = json.loads((folder / "state.json").read_text())
    files = [folder / item["filename"] for item in state.get("_data_files", [])]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise InputError(f"{folder}: saved dataset lists {missing[0].name} but the file is missing")
    return files


def raw_arrow(path: Path, *, first_row: int = 1) -> RawRows:
    """Rows of one Arrow IPC file (stream format, as ``datasets`` writes it, or file format)."""
    import pyarrow as pa

    try:
        source = pa.memory_map(str(path))
        try:
            reader: Any = pa.ipc.open_stream(source)
            batches: Iterable[Any] = reader
        except pa.ArrowInvalid:
            source = pa.memory_map(str(path))
            file_reader = pa.ipc.open_file(source)
            batches = (file_reader.get_batch(i) for i in range(file_reader.num_record_batches))
    except (OSError, pa.ArrowInvalid) as err:
        raise InputError(f"{path}: not a readable Arrow file ({err})") from err
    row_no = first_row - 1
    for batch in batches:
        for raw in batch.to_pylist():
            row_no += 1
            yield row_no, raw


def raw_hf_disk(folder: Path) -> RawRows:
    """Rows of a saved Hugging Face dataset folder, numbered across its Arrow files."""
    next_row = 1
    for file in arrow_files(folder):
        for row_no, raw in raw_arrow(file, first_row=next_row):
            next_row = row_no + 1
            yield row_no, raw


def raw_hf_hub(name: str) -> RawRows:
    """Rows of ``hf:NAME`` or ``hf:NAME:SPLIT`` through ``datasets.load_dataset`` in streaming mode."""
    spec = name[len(HF_PREFIX):]
    dataset_name, _, split = spec.partition(":")
    try:
        import datasets
    except ImportError:
        raise InputError(
            f"{name}: reading from the Hugging Face Hub needs the `datasets` package "
            "(pip install 'arxiv-kg[hf]'), or save the dataset to disk and pass the folder"
        ) from None
    try:
        stream = datasets.load_dataset(dataset_name, split=split or "train", streaming=True)
    except Exception as err:  # network, unknown name, missing split: all surface here
        raise InputError(f"{name}: cannot load the dataset through `datasets`: {err}") from err
    yield from enumerate(stream, start=1)


def raw_rows(path: Path | str) -> RawRows:
    """Decoded records of one input, whatever its container."""
    fmt = detect_format(path)
    if fmt == "hf-hub":
        return raw_hf_hub(str(path))
    path = Path(path)
    if fmt == "jsonl":
        return raw_jsonl(path)
    if fmt == "parquet":
        return raw_parquet(path)
    if fmt == "arrow":
        return raw_arrow(path)
    return raw_hf_disk(path)


def check_input(path: Path | str) -> None:
    """Fail early, naming the input, when it does not exist or its format is unknown."""
    if not is_hub_name(path) and not Path(path).exists():
        raise InputError(f"{path}: no such file")
    detect_format(path)


def check_inputs(paths: Iterable[Path | str]) -> list[Path]:
    """The inputs, each checked to exist and have a known format; the sample when none is given."""
    checked = [Path(p) for p in paths] or [sample_path()]
    for path in checked:
        check_input(path)
    return checked


def read_path(path: Path | str, *, layout: str | None = None) -> Iterator[Row]:
    """Rows of one input."""
    check_input(path)
    return parse_rows(raw_rows(path), str(path), layout=layout)


def read_inputs(paths: Iterable[Path | str], *, layout: str | None = None) -> Iterator[Row]:
    """Rows of several inputs, one after the other; the bundled sample when none is given."""
    for path in check_inputs(paths):
        yield from read_path(path, layout=layout)
