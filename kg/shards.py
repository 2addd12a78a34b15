"""Sharded builds: input partitions mapped to N-Quads shards (in-process or on Dask workers), then bulk-loaded.

Extraction is embarrassingly parallel, loading is not. Each partition (a byte range of a JSON Lines file,
a row group of a Parquet file, one Arrow file, or a whole input that cannot be split) is mapped by the
same :class:`kg.build.QuadMapper` as the local build and written as one shard; the driver then writes the
taxonomy and the stubs (cited papers outside the corpus, known only once every partition is done) and
bulk-loads the shards into a new store version, or stops there with ``shards_only`` so that the shards
can go to another store (``oxigraph load``, QLever's index builder, ...).

Workers write shards into ``shards_dir``: on a remote cluster it must be a file system that the workers
and the client share. A paper whose rows fall into two partitions is mapped in both (the store keeps
one copy of each quad); a metadata mismatch between such rows is then not detected, and a duplicate
chunk row in another partition counts twice in the report's chunks (never in the store).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.build import BuildReport, QuadMapper, default_rejects_path
from kg.errors import InputError
from kg.extract import stub_quads
from kg.rdf import Quad
from kg.sources.readers import (
    RawRows,
    check_input,
    detect_format,
    parse_rows,
    raw_arrow,
    raw_jsonl,
    raw_parquet,
    raw_rows,
    sample_path,
)
from kg.sources.records import Rejected
from kg.store import StoreDirectory
from kg.vocab import IriScheme

log = logging.getLogger("kg.shards")
DEFAULT_PARTITION_BYTES = 64 << 20
LOCAL = "local"
DASK = "dask"


@dataclass(frozen=True)
class Partition:
    """A piece of one input that one task maps to one shard."""

    index: int
    path: str
    kind: str  # "jsonl-range" | "parquet-row-groups" | "arrow-file" | "whole"
    start: int = 0
    end: int | None = None
    first_line: int = 1
    row_groups: tuple[int, ...] = ()

    def raw_rows(self) -> RawRows:
        if self.kind == "jsonl-range":
            return raw_jsonl(Path(self.path), start=self.start, end=self.end, first_line=self.first_line)
        if self.kind == "parquet-row-groups":
            return raw_parquet(Path(self.path), row_groups=list(self.row_groups))
        if self.kind == "arrow-file":
            return raw_arrow(Path(self.path))
        return raw_rows(self.path)


@dataclass
class PartitionResult:
    """What mapping one partition gave: its shard and what the driver needs to finish the build."""

    index: int
    shard: str
    rows: int = 0
    quads: int = 0
    chunks: int = 0
    duplicate_rows: int = 0
    papers: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)


def _jsonl_ranges(path: Path, target: int) -> Iterator[tuple[int, int | None, int]]:
    """``(start, end, first line)`` of byte ranges of about ``target`` bytes.

    A line belongs to the range it begins in.
    """
    size = path.stat().st_size
    cuts = list(range(target, size, target))
    if not cuts:
        yield 0, None, 1
        return
    # first line beginning at or after a cut c is 2 + the newlines in bytes [0, c - 1)
    first_lines: list[int] = []
    newlines = 0
    position = 0
    pending = iter(cuts)
    cut = next(pending, None)
    with open(path, "rb") as handle:
        while cut is not None:
            block = handle.read(1 << 22)
            if not block:
                break
            while cut is not None and cut - 1 <= position + len(block):
                first_lines.append(2 + newlines + block.count(b"\n", 0, cut - 1 - position))
                cut = next(pending, None)
            newlines += block.count(b"\n")
            position += len(block)
    starts = [(0, 1), *zip(cuts, first_lines, strict=True)]
    for i, (start, first_line) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else None
        yield start, end, first_line


def plan_partitions(inputs: Iterable[Path | str], *, target_bytes: int = DEFAULT_PARTITION_BYTES) -> list[Partition]:
    """Split the inputs into partitions of about ``target_bytes`` where the format allows it."""
    out: list[Partition] = []
    for item in inputs:
        check_input(item)
        fmt = detect_format(item)
        path = str(item)
        if fmt == "jsonl" and not path.endswith(".gz"):
            for start, end, first_line in _jsonl_ranges(Path(path), target_bytes):
                out.append(Partition(len(out), path, "jsonl-range", start, end, first_line))
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            groups = pq.ParquetFile(path).metadata.num_row_groups
            for group in range(max(1, groups)):
                out.append(Partition(len(out), path, "parquet-row-groups", row_groups=(group,) if groups else ()))
        elif fmt == "hf-disk":
            from kg.sources.readers import arrow_files

            for file in arrow_files(Path(path)):
                out.append(Partition(len(out), str(file), "arrow-file"))
        else:
            out.append(Partition(len(out), path, "whole"))
    return out


def map_partition(partition: Partition, shards_dir: str, base_iri: str, layout: str | None = None) -> PartitionResult:
    """Map one partition to an N-Quads shard with the build's own :class:`QuadMapper` (runs on workers)."""
    iris = IriScheme(base_iri)
    shard = Path(shards_dir) / f"part-{partition.index:05d}.nq"
    result = PartitionResult(partition.index, str(shard))
    report = BuildReport()

    def reject(item: Rejected) -> None:
        result.rejects.append(item.as_json())

    mapper = QuadMapper(iris, reject, report)
    buffer: list[str] = []
    with open(shard, "w", encoding="utf-8") as out:
        for row in parse_rows(partition.raw_rows(), partition.path, layout=layout):
            result.rows += 1
            if isinstance(row, Rejected):
                reject(row)
                continue
            for quad in mapper.row(row):
                buffer.append(f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n")
            if len(buffer) >= 4096:
                out.write("".join(buffer))
                result.quads += len(buffer)
                buffer.clear()
        out.write("".join(buffer))
        result.quads += len(buffer)
    result.papers = list(mapper.papers)
    result.cited = sorted(mapper.cited)
    result.chunks = report.chunks
    result.duplicate_rows = report.duplicate_rows
    return result


def _write_quads(path: Path, quads: Iterable[Quad]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for quad in quads:
            out.write(f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n")
            count += 1
    return count


Runner = Callable[[list[Partition], str, str, str | None], Iterator[PartitionResult]]


def run_local(
    partitions: list[Partition], shards_dir: str, base_iri: str, layout: str | None
) -> Iterator[PartitionResult]:
    for partition in partitions:
        yield map_partition(partition, shards_dir, base_iri, layout)


def run_dask(address: str | None, *, workers: int = 2) -> Runner:
    """A runner on a Dask cluster: a ``LocalCluster`` of worker processes, or the scheduler at ``address``."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--scheduler dask needs dask and distributed: pip install 'arxiv-kg[dask]'") from None

    def runner(
        partitions: list[Partition], shards_dir: str, base_iri: str, layout: str | None
    ) -> Iterator[PartitionResult]:
        cluster = None
        if address is None:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.WARNING,
            )
        client = Client(cluster if cluster is not None else address)
        try:
            futures = client.map(
                map_partition, partitions, shards_dir=shards_dir, base_iri=base_iri, layout=layout, pure=False
            )
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return runner


def build_sharded(
    inputs: list[Path | str],
    store: Path | None,
    *,
    base_iri: str,
    scheduler: str | None = None,
    workers: int = 2,
    shards_dir: Path | None = None,
    rejects_path: Path | None = None,
    layout: str | None = None,
    partition_bytes: int = DEFAULT_PARTITION_BYTES,
) -> BuildReport:
    """Map the inputs to shards (``scheduler``: ``None``/``"local"`` in-process, ``"dask"`` a local
    cluster, ``tcp://host:port`` a running one) and bulk-load them into ``store``; with ``store=None``
    only write the shards into ``shards_dir``."""
    inputs = list(inputs) or [sample_path()]
    if store is None and shards_dir is None:
        raise InputError("a sharded build needs a store or a shards directory")
    iris = IriScheme(base_iri)
    report = BuildReport(inputs=[str(p) for p in inputs])
    report.rejects_path = Path(rejects_path) if rejects_path else (
        default_rejects_path(store) if store is not None else Path(shards_dir) / "rejects.jsonl"  # type: ignore[arg-type]
    )
    partitions = plan_partitions(inputs, target_bytes=partition_bytes)
    if scheduler in (None, LOCAL):
        runner: Runner = run_local
    elif scheduler == DASK:
        runner = run_dask(None, workers=workers)
    elif scheduler.startswith("tcp://"):
        runner = run_dask(scheduler, workers=workers)
    else:
        raise InputError(f"unknown scheduler {scheduler!r} (expected local, dask or tcp://host:port)")

    keep_shards = shards_dir is not None
    if shards_dir is None:
        assert store is not None
        Path(store).parent.mkdir(parents=True, exist_ok=True)
        shards_dir = Path(tempfile.mkdtemp(prefix=f".{Path(store).name}.shards-", dir=Path(store).parent))
    shards_dir = Path(shards_dir).resolve()
    shards_dir.mkdir(parents=True, exist_ok=True)
    try:
        papers: set[str] = set()
        cited: set[str] = set()
        rejects_file: IO[str] | None = None
        shards = [shards_dir / "taxonomy.nq"]
        report.quads += _write_quads(shards[0], QuadMapper(iris, lambda _: None, BuildReport()).start())
        log.info("mapping %d partitions of %d inputs (%s)", len(partitions), len(inputs), scheduler or LOCAL)
        for result in runner(partitions, str(shards_dir), iris.base, layout):
            shards.append(Path(result.shard))
            report.rows += result.rows
            report.quads += result.quads
            report.chunks += result.chunks
            report.duplicate_rows += result.duplicate_rows
            papers.update(result.papers)
            cited.update(result.cited)
            if result.rejects:
                if rejects_file is None:
                    report.rejects_path.parent.mkdir(parents=True, exist_ok=True)
                    rejects_file = open(report.rejects_path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
                for item in result.rejects:
                    report.rejected += 1
                    rejects_file.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        if rejects_file is not None:
            rejects_file.close()
        report.papers = len(papers)
        shards.append(shards_dir / "stubs.nq")
        report.quads += _write_quads(shards[-1], stub_quads(cited - papers, iris))
        if store is not None:
            info: dict[str, Any] = {"inputs": report.inputs, "base_iri": iris.base, "scheduler": scheduler or LOCAL}
            with StoreDirectory(store).new_version(info=info) as writer:
                writer.bulk_load_files(shards)
                report.quads = len(writer.store)
                writer.info.update(rows=report.rows, papers=report.papers, chunks=report.chunks,
                                   quads=report.quads, rejected=report.rejected, shards=len(shards))
        else:
            report.output_path = shards_dir
    finally:
        if not keep_shards:
            shutil.rmtree(shards_dir, ignore_errors=True)
    if not report.rejected and report.rejects_path.exists():
        report.rejects_path.unlink()
    return report
