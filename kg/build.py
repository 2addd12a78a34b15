"""The build: read records, extract quads, load them into a new store version, swap it in."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kg.extract import CHUNK_EXTRACTORS, PAPER_EXTRACTORS, stub_quads, taxonomy_quads
from kg.progress import progress
from kg.rdf import Quad
from kg.sources import Rejected, SourceRecord, read_inputs
from kg.sources.readers import check_inputs
from kg.sources.records import Paper
from kg.sources.taxonomy import load_taxonomy
from kg.store import StoreDirectory
from kg.vocab import SHARED_GRAPHS, IriScheme

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


def count_rows(paths: Iterable[Path]) -> int | None:
    """Rows in the inputs, cheaply (newlines of JSON Lines, metadata of Parquet), for the progress bar."""
    total = 0
    for path in paths:
        if str(path).startswith("hf:") or path.is_dir() or path.name.lower().endswith(".arrow"):
            return None
        name = path.name.lower()
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            total += pq.ParquetFile(path).metadata.num_rows
        elif name.endswith(".gz"):
            return None
        else:
            with open(path, "rb") as handle:
                total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return total


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
        if seen is None:
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
) -> BuildReport:
    """Build a new version of ``store`` from ``inputs`` (the bundled sample when empty) and swap it in.

    ``layout`` (``ai-arxiv`` or ``arxiv-snapshot``) overrides the layout told by each input's first record.
    ``claims`` runs the claims and entities pipeline (``nlp``: an installed trained spaCy pipeline to
    use with our rules) over abstracts and chunks, in ``workers`` processes taking ``batch_size`` texts.
    """
    inputs = check_inputs(inputs)
    iris = IriScheme(base_iri)
    report = BuildReport(inputs=[str(p) for p in inputs])
    report.rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(store)
    report.output_path = Path(output_path) if output_path else None
    total = count_rows(inputs)
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
            for row in progress(read_inputs(inputs, layout=layout), total=total, desc="build", unit="rows"):
                report.rows += 1
                if isinstance(row, Rejected):
                    reject(row)
                else:
                    yield row

        def lines() -> Iterator[str]:
            def all_quads() -> Iterator[Quad | str]:
                yield from mapper.start()
                for record in rows():
                    yield from mapper.row_with_claims(record, runner)
                yield from mapper.finish()
                if runner is not None:
                    yield from runner.finish()
                    yield from mapper._shared_once(runner.shared_quads())
                    report.claims, report.mentions = runner.claims, runner.mentions

            buffer: list[str] = []
            for quad in all_quads():
                if isinstance(quad, str):  # N-Quads text of a claims batch
                    line = quad
                    report.quads += quad.count("\n")
                else:
                    line = f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n"
                    report.quads += 1
                buffer.append(line)
                if len(buffer) >= 4096:
                    if output is not None:
                        output.write("".join(buffer).encode("utf-8"))
                    yield from buffer
                    buffer.clear()
            if output is not None and buffer:
                output.write("".join(buffer).encode("utf-8"))
            yield from buffer

        info: dict[str, Any] = {"inputs": report.inputs, "base_iri": iris.base}
        with directory.new_version(info=info) as writer:
            writer.bulk_load_nquads(lines())
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
