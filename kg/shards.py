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
chunk row in another partition counts twice in the report's chunks and claims (never in the store) and
its entity mentions count twice when a concept's most frequent label is chosen.

With claims (the default of ``kg build``), each partition runs the claims pipeline over its texts and
returns the concepts they mention; the driver writes each concept and the extraction activity once.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.build import BuildReport, QuadMapper, RejectsFile, default_rejects_path
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
PROCESSES = "processes"
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
    claims: int = 0
    mentions: int = 0
    concepts: list[tuple[str, str, str]] = field(default_factory=list)  # (key, type, label) of each mention
    pipeline: str | None = None  # the claims pipeline's label, for the provenance


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


@dataclass(frozen=True)
class ClaimsOptions:
    """Whether and how partitions run the claims pipeline (as ``kg build`` does by default)."""

    enabled: bool = True
    batch_size: int = 64
    nlp: str | None = None


NO_CLAIMS = ClaimsOptions(enabled=False)


def map_partition(
    partition: Partition, shards_dir: str, base_iri: str, layout: str | None = None,
    claims: ClaimsOptions = NO_CLAIMS,
) -> PartitionResult:
    """Map one partition to an N-Quads shard with the build's own :class:`QuadMapper` (runs on workers).

    With claims, the texts go through the claims pipeline in this process; the concepts they mention
    come back to the driver, which writes each concept once (its label is chosen over all mentions).
    """
    iris = IriScheme(base_iri)
    shard = Path(shards_dir) / f"part-{partition.index:05d}.nq"
    result = PartitionResult(partition.index, str(shard))
    report = BuildReport()

    def reject(item: Rejected) -> None:
        result.rejects.append(item.as_json())

    mapper = QuadMapper(iris, reject, report)
    runner = None
    if claims.enabled:
        from kg.extract.claims_batches import ClaimsRunner

        runner = ClaimsRunner(iris, workers=1, batch_size=claims.batch_size, nlp_name=claims.nlp)
        mapper.texts = []
    buffer: list[str] = []

    def flush(out: IO[str]) -> None:
        out.write("".join(buffer))
        result.quads += sum(chunk.count("\n") for chunk in buffer)
        buffer.clear()

    with open(shard, "w", encoding="utf-8") as out:
        for row in parse_rows(partition.raw_rows(), partition.path, layout=layout):
            result.rows += 1
            if isinstance(row, Rejected):
                reject(row)
                continue
            for item in mapper.row_with_claims(row, runner):
                buffer.append(item if isinstance(item, str) else item.nquad())
            if len(buffer) >= 4096:
                flush(out)
        if runner is not None:
            buffer.extend(runner.finish())
            result.claims, result.mentions = runner.claims, runner.mentions
            result.concepts = runner.concepts
            result.pipeline = runner.label
        flush(out)
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


Runner = Callable[[list[Partition], str, str, str | None, ClaimsOptions], Iterator[PartitionResult]]


def run_local(
    partitions: list[Partition], shards_dir: str, base_iri: str, layout: str | None, claims: ClaimsOptions
) -> Iterator[PartitionResult]:
    for partition in partitions:
        yield map_partition(partition, shards_dir, base_iri, layout, claims)


def run_dask(address: str | None, *, workers: int = 2) -> Runner:
    """A runner on a Dask cluster: a ``LocalCluster`` of worker processes, or the scheduler at ``address``."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--scheduler dask needs dask and distributed: pip install 'arxiv-kg[dask]'") from None

    def runner(
        partitions: list[Partition], shards_dir: str, base_iri: str, layout: str | None, claims: ClaimsOptions
    ) -> Iterator[PartitionResult]:
        cluster = None
        if not log.isEnabledFor(logging.DEBUG):  # the cluster's own INFO lines drown the build's progress
            logging.getLogger("distributed").setLevel(logging.WARNING)
        if address is None:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.WARNING,
            )
        client = Client(cluster if cluster is not None else address)
        try:
            futures = client.map(
                map_partition, partitions, shards_dir=shards_dir, base_iri=base_iri, layout=layout, claims=claims,
                pure=False,
            )
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return runner


def run_processes(workers: int) -> Runner:
    """A runner on a pool of ``workers`` local processes (spawned: the parent may hold a store open)."""

    def runner(
        partitions: list[Partition], shards_dir: str, base_iri: str, layout: str | None, claims: ClaimsOptions
    ) -> Iterator[PartitionResult]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(map_partition, p, shards_dir, base_iri, layout, claims) for p in partitions]
            for future in as_completed(futures):
                yield future.result()

    return runner


def _runner(scheduler: str | None, workers: int) -> Runner:
    if scheduler in (None, LOCAL):
        return run_local
    if scheduler == PROCESSES:
        return run_processes(workers)
    if scheduler == DASK:
        return run_dask(None, workers=workers)
    if scheduler.startswith("tcp://"):
        return run_dask(scheduler, workers=workers)
    raise InputError(f"unknown scheduler {scheduler!r} (expected local, processes, dask or tcp://host:port)")


def _file_blocks(path: Path, size: int = 1 << 20) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        yield from iter(lambda: handle.read(size), "")


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
    claims: ClaimsOptions = NO_CLAIMS,
) -> BuildReport:
    """Map the inputs to shards and bulk-load them into ``store``; with ``store=None`` only write the
    shards into ``shards_dir``.

    ``scheduler``: ``None``/``"local"`` maps in this process, ``"processes"`` in a pool of ``workers``
    processes, ``"dask"`` on a local Dask cluster, ``tcp://host:port`` on a running one. Shards are
    loaded as they complete, so loading overlaps with the mapping of the remaining partitions.
    ``claims`` runs the claims pipeline in the partitions, as ``kg build`` does in-process.
    """
    inputs = list(inputs) or [sample_path()]
    if store is None and shards_dir is None:
        raise InputError("a sharded build needs a store or a shards directory")
    iris = IriScheme(base_iri)
    report = BuildReport(inputs=[str(p) for p in inputs])
    if rejects_path:
        report.rejects_path = Path(rejects_path)
    elif store is not None:
        report.rejects_path = default_rejects_path(store)
    else:
        report.rejects_path = Path(shards_dir) / "rejects.jsonl"  # type: ignore[arg-type]
    partitions = plan_partitions(inputs, target_bytes=partition_bytes)
    runner = _runner(scheduler, workers)

    keep_shards = shards_dir is not None
    if shards_dir is None:
        assert store is not None
        Path(store).parent.mkdir(parents=True, exist_ok=True)
        shards_dir = Path(tempfile.mkdtemp(prefix=f".{Path(store).name}.shards-", dir=Path(store).parent))
    shards_dir = Path(shards_dir).resolve()
    shards_dir.mkdir(parents=True, exist_ok=True)
    papers: set[str] = set()
    cited: set[str] = set()
    concepts: list[tuple[str, str, str]] = []
    pipelines: set[str] = set()
    if claims.enabled:
        report.claims = 0

    with ExitStack() as stack:
        if not keep_shards:
            stack.callback(shutil.rmtree, shards_dir, ignore_errors=True)
        reject = stack.enter_context(RejectsFile(report.rejects_path, report))

        def shards() -> Iterator[Path]:
            """The shard files in load order: taxonomy, each partition as it completes, stubs."""
            taxonomy = shards_dir / "taxonomy.nq"
            report.quads += _write_quads(taxonomy, QuadMapper(iris, lambda _: None, BuildReport()).start())
            yield taxonomy
            log.info("mapping %d partitions of %d inputs (%s)", len(partitions), len(inputs), scheduler or LOCAL)
            for result in runner(partitions, str(shards_dir), iris.base, layout, claims):
                report.rows += result.rows
                report.quads += result.quads
                report.chunks += result.chunks
                report.duplicate_rows += result.duplicate_rows
                papers.update(result.papers)
                cited.update(result.cited)
                if report.claims is not None:
                    report.claims += result.claims
                    report.mentions += result.mentions
                    concepts.extend(result.concepts)
                    if result.pipeline is not None:
                        pipelines.add(result.pipeline)
                for item in result.rejects:
                    reject(item)
                yield Path(result.shard)
            report.papers = len(papers)
            stubs = shards_dir / "stubs.nq"
            report.quads += _write_quads(stubs, stub_quads(cited - papers, iris))
            yield stubs
            if report.claims is not None:
                from kg.extract.claims import activity_quads
                from kg.extract.entities import concept_quads

                shared = shards_dir / "concepts.nq"
                quads = [q for label in sorted(pipelines) for q in activity_quads(label, iris)]
                report.quads += _write_quads(shared, [*quads, *concept_quads(concepts, iris)])
                yield shared

        if store is None:
            for _ in shards():
                pass
            report.output_path = shards_dir
        else:
            def blocks() -> Iterator[str]:
                for shard in shards():
                    yield from _file_blocks(shard)
                    if not keep_shards:
                        shard.unlink()

            info: dict[str, Any] = {"inputs": report.inputs, "base_iri": iris.base, "scheduler": scheduler or LOCAL}
            with StoreDirectory(store).new_version(info=info) as writer:
                writer.bulk_load_nquads(blocks())
                report.quads = len(writer.store)
                writer.info.update(rows=report.rows, papers=report.papers, chunks=report.chunks,
                                   quads=report.quads, rejected=report.rejected, partitions=len(partitions))
    if not report.rejected and report.rejects_path.exists():
        report.rejects_path.unlink()
    return report
