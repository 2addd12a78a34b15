"""The build: read records, extract quads, load them into a new store version, swap it in."""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from kg.errors import KgError
from kg.extract import CHUNK_EXTRACTORS, PAPER_EXTRACTORS, stub_quads, taxonomy_quads
from kg.progress import progress, progress_counts
from kg.rdf import Quad
from kg.sources import Rejected, SourceRecord, read_inputs
from kg.sources.arxiv_snapshot import looks_like_snapshot
from kg.sources.readers import (
    AI_ARXIV,
    ARXIV_SNAPSHOT,
    RawRows,
    check_inputs,
    detect_format,
    is_hub_name,
    parse_rows,
    raw_jsonl,
    raw_rows,
)
from kg.sources.records import Paper
from kg.sources.taxonomy import load_taxonomy
from kg.store import StoreDirectory
from kg.vocab import SHARED_GRAPHS, IriScheme, parse_arxiv_id

if TYPE_CHECKING:  # spaCy loads only when a build runs claims
    from kg.extract.claims import TextJob
    from kg.extract.claims_batches import ClaimsRunner

log = logging.getLogger("kg.build")


@dataclass
class BuildReport:
    """What a build did: counts, rejects and where they were written."""

    rows: int = 0
    papers: int = 0
    chunks: int = 0
    duplicate_rows: int = 0
    quads: int = 0
    claims: int | None = None  # None when claims were not extracted
    mentions: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    output_path: Path | None = None
    inputs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.rows} rows read: {self.papers} papers, {self.chunks} chunks, "
            f"{self.duplicate_rows} duplicate rows, {self.quads} quads loaded"
        )
        if self.claims is not None:
            text += f", {self.claims} claims and {self.mentions} entity mentions"
        if self.rejected:
            text += f"; {self.rejected} rows rejected, see {self.rejects_path}"
        else:
            text += "; no rows rejected"
        if self.output_path:
            text += f"; quads written to {self.output_path}"
        return text


_FINGERPRINT_FIELDS = tuple(f.name for f in fields(Paper) if f.name != "version")
_SLOT = 4  # bytes of each field's hash in a fingerprint


def fingerprint(paper: Paper) -> bytes:
    """A compact digest of a paper's metadata, one small hash per field, so a mismatch can name its field."""
    return b"".join(
        (hash(getattr(paper, name)) & 0xFFFFFFFF).to_bytes(_SLOT, "little") for name in _FINGERPRINT_FIELDS
    )


def _differing_field(a: bytes, b: bytes) -> str | None:
    for i, name in enumerate(_FINGERPRINT_FIELDS):
        if a[i * _SLOT:(i + 1) * _SLOT] != b[i * _SLOT:(i + 1) * _SLOT]:
            return name
    return None


# A JSON Lines input up to this size has its rows counted for the progress bar; a larger one has them
# estimated from its first block (counting 2.7 GB took 1.7 s, before the first row was read).
EXACT_COUNT_BYTES = 64 << 20
ESTIMATE_SAMPLE_BYTES = 4 << 20


def count_rows(paths: Iterable[Path]) -> tuple[int | None, bool]:
    """Rows in the inputs for the progress bar, and whether that is an estimate; ``None`` when unknown.

    Parquet's metadata gives the count; JSON Lines newlines are counted, or for a large file estimated
    from the newlines in its first block. Compressed and Hugging Face inputs have no cheap count.
    """
    total = 0
    estimated = False
    for path in paths:
        if str(path).startswith("hf:") or path.is_dir() or path.name.lower().endswith(".arrow"):
            return None, False
        name = path.name.lower()
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            try:
                total += pq.ParquetFile(path).metadata.num_rows
            except Exception:  # unreadable: the reader names the problem
                return None, False
        elif name.endswith(".gz"):
            return None, False
        else:
            try:
                size = path.stat().st_size
                with open(path, "rb") as handle:
                    if size <= EXACT_COUNT_BYTES:
                        total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
                        continue
                    sample = handle.read(ESTIMATE_SAMPLE_BYTES)
            except OSError:  # unreadable: the reader names the problem
                return None, False
            total += round(size * max(1, sample.count(b"\n")) / len(sample))
            estimated = True
    return total, estimated


class QuadMapper:
    """Turns a stream of accepted rows into quads: one paper node per paper, each chunk once.

    Rows come in any order. A paper's metadata is taken from its first row; a later row whose
    metadata differs is rejected (naming the field), an identical repeated row is skipped.
    Facts shared by many papers are emitted once.

    Memory stays small per paper: ``papers`` maps each arXiv id to ``[fingerprint, first line,
    chunk indices seen]`` (no metadata is kept), shared facts are remembered by a 64-bit hash.
    """

    def __init__(self, iris: IriScheme, reject: Callable[[Rejected], None], report: BuildReport) -> None:
        self.iris = iris
        self.reject = reject
        self.report = report
        self.papers: dict[str, list[Any]] = {}
        self.cited: set[str] = set()
        self._shared_graphs = frozenset(f"<{iris.shared_graph(name)}>" for name in SHARED_GRAPHS)
        self._shared_seen: set[int] = set()
        self._last_paper: Paper | None = None  # the metadata of the last accepted row
        self.texts: list[TextJob] | None = None  # set to a list to collect the texts claims are read from

    def _shared_once(self, quads: Iterable[Quad]) -> Iterator[Quad]:
        for quad in quads:
            if quad.graph in self._shared_graphs:
                key = hash(quad)
                if key in self._shared_seen:
                    continue
                self._shared_seen.add(key)
            yield quad

    def start(self) -> Iterator[Quad]:
        return self._shared_once(taxonomy_quads(load_taxonomy(), self.iris))

    def row(self, record: SourceRecord) -> Iterator[Quad]:
        paper = record.paper
        seen = self.papers.get(paper.arxiv_id)
        if seen is not None and paper is self._last_paper:
            pass  # the reader's cache gave the very metadata of an accepted row: nothing to compare
        elif seen is None:
            seen = self.papers[paper.arxiv_id] = [fingerprint(paper), record.line, None]
            self.report.papers += 1
            self.cited.update(paper.references)
            for extractor in PAPER_EXTRACTORS:
                yield from self._shared_once(extractor.extract(paper, self.iris))
            job = None
            if self.texts is not None:
                from kg.extract.claims import abstract_job

                job = abstract_job(paper)
            if job is not None:
                self.texts.append(job)
        else:
            first, first_line, _ = seen
            differing = _differing_field(first, fingerprint(paper))
            if differing is not None:
                self.reject(Rejected(
                    record.source, record.line,
                    f"metadata differs from the earlier row at line {first_line} of the same paper",
                    differing, paper.arxiv_id, record.raw,
                ))
                return
        self._last_paper = paper
        chunk = record.chunk
        if chunk is None:
            return
        indices = seen[2]
        if indices is None:
            indices = seen[2] = set()
        elif chunk.index in indices:
            self.report.duplicate_rows += 1
            return
        indices.add(chunk.index)
        self.report.chunks += 1
        for extractor in CHUNK_EXTRACTORS:
            yield from extractor.extract(chunk, self.iris)
        if self.texts is not None:
            from kg.extract.claims import chunk_job

            self.texts.append(chunk_job(chunk, paper))

    def row_with_claims(self, record: SourceRecord, runner: ClaimsRunner | None) -> Iterator[Quad | str]:
        """The row's quads, then the N-Quads text of the claims batches its texts completed (``runner`` may be None)."""
        yield from self.row(record)
        if runner is not None and self.texts:
            texts, self.texts = self.texts, []
            for job in texts:
                yield from runner.add(job)

    def finish(self) -> Iterator[Quad]:
        return stub_quads(self.cited - self.papers.keys(), self.iris)


class RejectsFile:
    """Rejected rows as JSON Lines at ``path`` (opened at the first one), each logged and counted on ``report``."""

    def __init__(self, path: Path, report: Any) -> None:
        self.path = path
        self.report = report
        self._handle: IO[str] | None = None

    def __call__(self, item: Rejected | dict[str, Any]) -> None:
        if isinstance(item, Rejected):
            log.warning("rejected %s", item.message())
            item = item.as_json()
        self.report.rejected += 1
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed by __exit__)
        self._handle.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


def default_rejects_path(store: Path) -> Path:
    """Rejects go beside the store: ``kg-store`` gets ``kg-store.rejects.jsonl``."""
    store = Path(store)
    return store.with_name(store.name + ".rejects.jsonl")


# The parallel build (no claims): ``map_workers`` processes each read every input but validate and map only
# the rows of their share of the papers (a paper's rows all go to one process, so a paper is checked
# and counted exactly as in one process); they hand N-Quads in blocks of whole lines to this process,
# which bulk-loads them as they come, so reading, mapping and loading run on all cores at once.
_BLOCK_LINES = 8192
_DATA, _SHARED, _END, _FAILED = b"D", b"S", b"E", b"X"
PARALLEL_MIN_BYTES = 8 << 20  # below this, starting the processes costs more than it saves


def default_map_workers() -> int:
    """Mapping processes by default: one core is left to the loader (on two cores, mapping in this
    process while a thread loads is as fast as two mapping processes, and uses less CPU)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - 1)


def _key_owner(value: str, shares: int) -> int:
    key = parse_arxiv_id(value) or value.strip()
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % shares


def _owner(raw: Any, key_field: str, shares: int) -> int:
    """Which share a decoded row belongs to: by its paper's arXiv id, so a paper's rows stay together."""
    value = raw.get(key_field) if isinstance(raw, dict) else None
    return _key_owner(value, shares) if isinstance(value, str) else 0


# A line's key found without decoding the line: exactly one ``"doi"`` in it, followed by ``: "..."``
# (no escapes in the value, no letter of the key written as an escape); else the line is decoded to tell.
_KEY_VALUE = re.compile(rb'\s*:\s*"([^"\\]*)"')
_KEY_ESCAPES = {
    field: re.compile(b"|".join(re.escape(b"\\u%04x" % ord(c)) for c in sorted(set(field))), re.IGNORECASE)
    for field in ("doi", "id")
}


def _line_owner(data: bytes, key_field: str, shares: int) -> int:
    """The share of a JSON Lines line: :func:`_owner` of the decoded line, mostly without decoding it."""
    quoted = b'"' + key_field.encode() + b'"'
    if data.count(quoted) == 1 and not _KEY_ESCAPES[key_field].search(data):
        at = data.find(quoted)
        found = _KEY_VALUE.match(data, at + len(quoted)) if at == 0 or data[at - 1] != 0x5C else None
        if found is not None:
            return _key_owner(found.group(1).decode("utf-8", "surrogateescape"), shares)
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            raw = json.loads(data.decode("utf-8", "surrogateescape"))
        except ValueError:
            return 0
    return _owner(raw, key_field, shares)


def _first_layout(path: str) -> str:
    """An input's layout as :func:`parse_rows` tells it: by the first record that decodes."""
    rows = raw_rows(path)
    try:
        for _, raw in rows:
            if not isinstance(raw, Rejected):
                return ARXIV_SNAPSHOT if looks_like_snapshot(raw) else AI_ARXIV
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return AI_ARXIV


def _owned_rows(path: str, layout: str, share: int, shares: int) -> RawRows:
    """This share's decoded rows of one input."""
    key_field = "id" if layout == ARXIV_SNAPSHOT else "doi"
    if detect_format(path) == "jsonl":
        return raw_jsonl(Path(path), keep=lambda data: _line_owner(data, key_field, shares) == share)
    return ((line, raw) for line, raw in raw_rows(path) if _owner(raw, key_field, shares) == share)


def map_share(
    conn: Any, inputs: list[str], layout: str | None, base_iri: str, share: int, shares: int, rejects: str
) -> None:
    """Map one share of the inputs' rows (runs in a worker process); N-Quads blocks go to ``conn``.

    Rejected rows go to the JSON Lines file ``rejects`` as ``[input number, line, reject]``, in line order.
    """
    try:
        iris = IriScheme(base_iri)
        report = BuildReport()
        with open(rejects, "w", encoding="utf-8") as rejects_file:
            input_number = [0]  # of the input being read

            def reject(item: Rejected) -> None:
                rejects_file.write(
                    json.dumps([input_number[0], item.line, item.as_json()], ensure_ascii=False, default=str) + "\n"
                )

            mapper = QuadMapper(iris, reject, report)
            shared_graphs = mapper._shared_graphs
            data: list[str] = []
            shared: list[str] = []
            rows = 0

            def send() -> None:
                nonlocal rows
                conn.send_bytes(_DATA + rows.to_bytes(8, "little") + "".join(data).encode("utf-8"))
                data.clear()
                rows = 0
                if shared:
                    conn.send_bytes(_SHARED + "".join(shared).encode("utf-8"))
                    shared.clear()

            for number, path in enumerate(inputs):
                input_number[0] = number
                input_layout = layout or _first_layout(path)
                for row in parse_rows(_owned_rows(path, input_layout, share, shares), path, layout=input_layout):
                    rows += 1
                    if isinstance(row, Rejected):
                        reject(row)
                        continue
                    for quad in mapper.row(row):
                        line = f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n"
                        (shared if quad[3] in shared_graphs else data).append(line)
                    if len(data) >= _BLOCK_LINES:
                        send()
            send()
        summary = {
            "papers": list(mapper.papers), "cited": list(mapper.cited), "chunks": report.chunks,
            "duplicate_rows": report.duplicate_rows,
        }
        conn.send_bytes(_END + pickle.dumps(summary))
    except BaseException as err:  # the build fails with this error in the main process
        try:
            payload = pickle.dumps(err)
            pickle.loads(payload)
        except Exception:
            payload = pickle.dumps(KgError(f"mapping worker {share}: {type(err).__name__}: {err}"))
        conn.send_bytes(_FAILED + payload)
    finally:
        conn.close()


class _ParallelMapping:
    """The worker processes of a parallel build and the merged stream of their N-Quads."""

    def __init__(self, inputs: list[Path], layout: str | None, iris: IriScheme, workers: int, tmp: Path) -> None:
        import multiprocessing
        import threading

        # fork saves each worker the imports (~0.6 s of CPU), but only a single-threaded process forks safely
        fork = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if fork else "spawn")
        self.rejects = [tmp / f"rejects-{i}.jsonl" for i in range(workers)]
        self.summaries: list[dict[str, Any]] = []
        self.rows = 0
        self.processes = []
        self.conns = []
        for share in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=map_share, daemon=True, name=f"kg-map-{share}",
                args=(sender, [str(p) for p in inputs], layout, iris.base, share, workers, str(self.rejects[share])),
            )
            process.start()
            sender.close()
            self.processes.append(process)
            self.conns.append(receiver)

    def blocks(self, seen_shared: set[int]) -> Iterator[tuple[int, bytes]]:
        """``(rows, N-Quads bytes)`` as the workers send them; shared facts only the first time."""
        from multiprocessing.connection import wait

        pending = list(self.conns)
        while pending:
            for conn in wait(pending):
                try:
                    message = conn.recv_bytes()
                except EOFError:
                    raise KgError("a mapping worker process stopped before it finished") from None
                tag = message[:1]
                if tag == _DATA:
                    rows = int.from_bytes(message[1:9], "little")
                    self.rows += rows
                    yield rows, message[9:]
                elif tag == _SHARED:
                    fresh = []
                    for line in message[1:].splitlines(keepends=True):
                        key = hash(line)
                        if key not in seen_shared:
                            seen_shared.add(key)
                            fresh.append(line)
                    yield 0, b"".join(fresh)
                elif tag == _END:
                    self.summaries.append(pickle.loads(message[1:]))
                    pending.remove(conn)
                else:
                    raise pickle.loads(message[1:])

    def rejected(self) -> Iterator[Rejected]:
        """The workers' rejects in input and line order."""
        import heapq

        def read(path: Path) -> Iterator[tuple[int, int, dict[str, Any]]]:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    number, line_no, item = json.loads(line)
                    yield number, line_no, item

        for _, _, item in heapq.merge(*(read(p) for p in self.rejects), key=lambda r: (r[0], r[1])):
            yield Rejected(item["source"], item["line"], item["reason"], item["field"], item["record_id"], item["raw"])

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()


def _use_parallel(inputs: list[Path], claims: bool, map_workers: int) -> bool:
    if claims or map_workers < 2 or any(is_hub_name(p) for p in inputs):
        return False
    size = 0
    for path in inputs:
        size += sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
    return size >= PARALLEL_MIN_BYTES


def build(
    inputs: list[Path],
    store: Path,
    *,
    base_iri: str,
    rejects_path: Path | None = None,
    output_path: Path | None = None,
    layout: str | None = None,
    claims: bool = True,
    workers: int = 1,
    batch_size: int = 64,
    nlp: str | None = None,
    map_workers: int | None = None,
) -> BuildReport:
    """Build a new version of ``store`` from ``inputs`` (the bundled sample when empty) and swap it in.

    ``layout`` (``ai-arxiv`` or ``arxiv-snapshot``) overrides the layout told by each input's first record.
    ``claims`` runs the claims and entities pipeline (``nlp``: an installed trained spaCy pipeline to
    use with our rules) over abstracts and chunks, in ``workers`` processes taking ``batch_size`` texts.
    Without claims, rows are read and mapped in ``map_workers`` processes (default: one fewer than the
    cores; 1 maps in this process) while this one loads; both give the same store, report and rejects.
    Loading always runs in a thread beside the mapping.
    """
    inputs = check_inputs(inputs)
    iris = IriScheme(base_iri)
    report = BuildReport(inputs=[str(p) for p in inputs])
    report.rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(store)
    report.output_path = Path(output_path) if output_path else None
    total, estimated = count_rows(inputs)
    directory = StoreDirectory(store)

    with ExitStack() as stack:
        reject = stack.enter_context(RejectsFile(report.rejects_path, report))

        mapper = QuadMapper(iris, reject, report)
        runner = None
        if claims:
            from kg.extract.claims_batches import ClaimsRunner

            runner = ClaimsRunner(iris, workers=workers, batch_size=batch_size, nlp_name=nlp)
            stack.callback(runner.close)
            mapper.texts = []
        output: IO[bytes] | None = None
        if report.output_path:
            report.output_path.parent.mkdir(parents=True, exist_ok=True)
            tmp_output = report.output_path.with_name(report.output_path.name + ".partial")
            opener = gzip.open if report.output_path.name.endswith(".gz") else open
            output = stack.enter_context(opener(tmp_output, "wb"))

        def rows() -> Iterator[SourceRecord]:
            for row in progress(
                read_inputs(inputs, layout=layout), total=total, estimated=estimated, desc="build", unit="rows"
            ):
                report.rows += 1
                if isinstance(row, Rejected):
                    reject(row)
                else:
                    yield row

        def lines() -> Iterator[bytes]:
            def groups() -> Iterator[Iterable[Quad | str]]:
                """The quads (or N-Quads text, from the claims batches) of each row, and of the start and end."""
                yield mapper.start()
                if runner is None:
                    yield from map(mapper.row, rows())
                else:
                    for record in rows():
                        yield mapper.row_with_claims(record, runner)
                yield mapper.finish()
                if runner is not None:
                    yield runner.finish()
                    yield mapper._shared_once(runner.shared_quads())
                    report.claims, report.mentions = runner.claims, runner.mentions

            def block_of(buffer: list[bytes]) -> bytes:
                block = b"".join(buffer)
                # a line a quad (literals escape their line breaks); a claims batch is many lines in one item
                report.quads += len(buffer) if runner is None else block.count(b"\n")
                if output is not None:
                    output.write(block)
                return block

            # each line encoded on its own: joined first, the ASCII of IRIs would be widened to the text's
            # characters and encoded with it, which costs several times more
            buffer: list[bytes] = []
            for group in groups():
                buffer += [
                    (item if isinstance(item, str) else f"{item[0]} {item[1]} {item[2]} {item[3]} .\n").encode()
                    for item in group
                ]
                if len(buffer) >= 4096:
                    yield block_of(buffer)
                    buffer.clear()
            yield block_of(buffer)

        def parallel_lines(mapping: _ParallelMapping) -> Iterator[bytes]:
            def emit(data: bytes) -> bytes:
                report.quads += data.count(b"\n")
                if output is not None:
                    output.write(data)
                return data

            seen_shared: set[int] = set()
            taxonomy = [f"{q[0]} {q[1]} {q[2]} {q[3]} .\n".encode() for q in mapper.start()]
            seen_shared.update(hash(line) for line in taxonomy)
            yield emit(b"".join(taxonomy))
            for data in progress_counts(
                mapping.blocks(seen_shared), total=total, estimated=estimated, desc="build", unit="rows"
            ):
                yield emit(data)
            for summary in mapping.summaries:
                mapper.papers.update(dict.fromkeys(summary["papers"]))
                mapper.cited.update(summary["cited"])
                report.chunks += summary["chunks"]
                report.duplicate_rows += summary["duplicate_rows"]
            report.papers = len(mapper.papers)
            report.rows = mapping.rows
            for item in mapping.rejected():
                reject(item)
            yield emit("".join(f"{q[0]} {q[1]} {q[2]} {q[3]} .\n" for q in mapper.finish()).encode())

        stream: Iterable[bytes] = lines()
        workers_for_mapping = default_map_workers() if map_workers is None else map_workers
        if _use_parallel(inputs, claims, workers_for_mapping):
            import tempfile

            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-build-")))
            mapping = _ParallelMapping(inputs, layout, iris, workers_for_mapping, tmp)
            stack.callback(mapping.close)
            stream = parallel_lines(mapping)

        info: dict[str, Any] = {"inputs": report.inputs, "base_iri": iris.base}
        with directory.new_version(info=info) as writer:
            writer.bulk_load_overlapped(stream)
            writer.info.update(
                rows=report.rows, papers=report.papers, chunks=report.chunks, quads=report.quads,
                rejected=report.rejected, claims=report.claims,
            )
        if output is not None:
            output.close()
            tmp_output.replace(report.output_path)
    if not report.rejected and report.rejects_path.exists():
        report.rejects_path.unlink()
    return report
