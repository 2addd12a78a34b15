"""Incremental updates: replace, add or delete papers in a new store version, keeping shared facts consistent.

The current version is copied (``Store.backup``, hard links on the same file system), the changes are
applied to the copy, and the copy is swapped in only when complete: a failed update leaves the store
as it was. The result equals a full build of the union of the inputs in which each paper comes from
its newest input:

- a paper in the input replaces its named graph (its old chunks, authorships, citations and claims go)
  unless the store holds a newer version of it (a later ``dcterms:modified`` or a higher version label);
- people no paper credits any more leave the people graph;
- a cited paper that is now in the corpus loses its stub; a paper no longer cited by anyone loses its
  stub; a newly cited paper outside the corpus, or a deleted paper still cited, gets one.

With claims (the default, as for ``kg build``) the new papers' texts go through the claims pipeline;
a concept no paper mentions any more leaves the concepts graph, and a new concept is added.

Known limits, both fixed by the next full build: a person's ``foaf:name`` spellings are not recorded per
paper, so a spelling variant with the same slug (``Aurélien``/``Aurelien``) that only a replaced paper
used stays; and a concept that survives an update or a delete keeps the label and type it had, where
a full build would choose the most frequent ones over the mentions that remain (and the new ones).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kg.build import BuildReport, QuadMapper, RejectsFile, count_rows, default_rejects_path
from kg.errors import InputError
from kg.progress import progress
from kg.rdf import iri, literal
from kg.sources import Rejected, SourceRecord, read_inputs
from kg.store import StoreDirectory, VersionWriter
from kg.vocab import (
    CITO,
    CONCEPTS_GRAPH,
    DCTERMS,
    FABIO,
    KG,
    PEOPLE_GRAPH,
    STUBS_GRAPH,
    IriScheme,
    parse_arxiv_id,
)

log = logging.getLogger("kg.update")
BATCH = 500  # terms per VALUES block


@dataclass
class UpdateReport:
    """What an update or a delete did."""

    rows: int = 0
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    chunks: int = 0
    quads_before: int = 0
    quads_after: int = 0
    claims: int | None = None
    rejected: int = 0
    rejects_path: Path | None = None

    def summary(self) -> str:
        text = (
            f"{len(self.added)} papers added, {len(self.replaced)} replaced, {len(self.deleted)} deleted, "
            f"{len(self.skipped)} skipped (the store holds a newer version); "
            f"{self.quads_before} -> {self.quads_after} quads"
        )
        if self.rows:
            text = f"{self.rows} rows read: " + text
        if self.rejected:
            text += f"; {self.rejected} rows rejected, see {self.rejects_path}"
        return text


def _batches(items: Iterable[str], size: int = BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Consistency:
    """The SPARQL that keeps shared graphs right around the papers that change."""

    def __init__(self, writer: VersionWriter, iris: IriScheme) -> None:
        self.writer = writer
        self.iris = iris
        self.people = iri(iris.shared_graph(PEOPLE_GRAPH))
        self.stubs = iri(iris.shared_graph(STUBS_GRAPH))
        self.concepts = iri(iris.shared_graph(CONCEPTS_GRAPH))
        self.concept_prefix = iris.concept("")

    def paper(self, arxiv_id: str) -> str:
        return iri(self.iris.paper(arxiv_id))

    def graph(self, arxiv_id: str) -> str:
        return iri(self.iris.paper_graph(arxiv_id))

    def stored(self, arxiv_id: str) -> tuple[date | None, int | None] | None:
        """``(modified, highest version)`` of a paper in the store, ``None`` when it has no graph."""
        rows = self.writer.select(f"""SELECT ?modified ?label WHERE {{
            GRAPH {self.graph(arxiv_id)} {{ {self.paper(arxiv_id)} a <{FABIO.Preprint}> .
                OPTIONAL {{ {self.paper(arxiv_id)} <{DCTERMS.modified}> ?modified }}
                OPTIONAL {{ {self.paper(arxiv_id)} <{KG.version}>/<{KG.versionLabel}> ?label }} }} }}""")
        if not rows:
            return None
        modified = max((date.fromisoformat(m) for m, _ in rows if m), default=None)
        version = max((int(v[1:]) for _, v in rows if v and v[1:].isdigit()), default=None)
        return modified, version

    def existing(self, ids: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for batch in _batches(ids):
            values = " ".join(f"({self.paper(i)} {self.graph(i)})" for i in batch)
            rows = self.writer.select(
                f"SELECT ?p WHERE {{ VALUES (?p ?g) {{ {values} }} GRAPH ?g {{ ?p a <{FABIO.Preprint}> }} }}"
            )
            out.update(self.iris.arxiv_id_of_paper(p) or "" for (p,) in rows)
        out.discard("")
        return out

    def linked(self, ids: Iterable[str], predicate: str) -> set[str]:
        """Objects of ``predicate`` in the graphs of ``ids`` (the people credited, the papers cited)."""
        out: set[str] = set()
        for batch in _batches(ids):
            values = " ".join(self.graph(i) for i in batch)
            rows = self.writer.select(
                f"SELECT DISTINCT ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s <{predicate}> ?o }} }}"
            )
            out.update(o for (o,) in rows if o)
        return out

    def concepts_in(self, ids: Iterable[str]) -> set[str]:
        """The concepts that the graphs of ``ids`` refer to (mentions, claims, relations)."""
        out: set[str] = set()
        for batch in _batches(ids):
            values = " ".join(self.graph(i) for i in batch)
            rows = self.writer.select(f"""SELECT DISTINCT ?c WHERE {{ VALUES ?g {{ {values} }}
                GRAPH ?g {{ {{ ?s ?p ?c }} UNION {{ ?c ?p ?o }} }}
                FILTER (isIRI(?c) && STRSTARTS(STR(?c), "{self.concept_prefix}")) }}""")
            out.update(c for (c,) in rows if c)
        return out

    def existing_concepts(self, concepts: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for batch in _batches(concepts):
            values = " ".join(iri(c) for c in batch)
            rows = self.writer.select(
                f"SELECT DISTINCT ?c WHERE {{ VALUES ?c {{ {values} }} GRAPH {self.concepts} {{ ?c ?p ?o }} }}"
            )
            out.update(c for (c,) in rows if c)
        return out

    def remove_unreferenced_concepts(self, concepts: Iterable[str]) -> None:
        for batch in _batches(concepts):
            values = " ".join(iri(c) for c in batch)
            self.writer.update(f"""DELETE {{ GRAPH {self.concepts} {{ ?c ?p ?o }} }} WHERE {{
                VALUES ?c {{ {values} }} GRAPH {self.concepts} {{ ?c ?p ?o }}
                FILTER NOT EXISTS {{
                    GRAPH ?g {{ {{ ?s ?q ?c }} UNION {{ ?c ?q ?x }} }} FILTER (?g != {self.concepts}) }} }}""")

    def drop_graphs(self, ids: Iterable[str]) -> None:
        for batch in _batches(ids):
            self.writer.update(" ;\n".join(f"DROP SILENT GRAPH {self.graph(i)}" for i in batch))

    def remove_uncredited_people(self, people: Iterable[str]) -> None:
        for batch in _batches(people):
            values = " ".join(iri(p) for p in batch)
            self.writer.update(f"""DELETE {{ GRAPH {self.people} {{ ?who ?p ?o }} }} WHERE {{
                VALUES ?who {{ {values} }} GRAPH {self.people} {{ ?who ?p ?o }}
                FILTER NOT EXISTS {{ GRAPH ?g {{ ?paper <{DCTERMS.creator}> ?who }} }} }}""")

    def remove_needless_stubs(self, paper_iris: Iterable[str]) -> None:
        """Drop stubs of papers now in the corpus or no longer cited."""
        for batch in _batches(paper_iris):
            values = " ".join(iri(p) for p in batch)
            self.writer.update(f"""DELETE {{ GRAPH {self.stubs} {{ ?paper ?p ?o }} }} WHERE {{
                VALUES ?paper {{ {values} }} GRAPH {self.stubs} {{ ?paper ?p ?o }}
                FILTER (EXISTS {{ GRAPH ?g {{ ?paper a <{FABIO.Preprint}> }} }}
                        || NOT EXISTS {{ GRAPH ?h {{ ?citing <{CITO.cites}> ?paper }} }}) }}""")

    def add_needed_stubs(self, ids: Iterable[str]) -> None:
        """A stub for each of ``ids`` that is cited but has no graph of its own."""
        for batch in _batches(ids):
            values = " ".join(f"({self.paper(i)} {literal(i)})" for i in batch)
            self.writer.update(f"""INSERT {{ GRAPH {self.stubs} {{ ?paper <{KG.arxivId}> ?id }} }} WHERE {{
                VALUES (?paper ?id) {{ {values} }}
                FILTER NOT EXISTS {{ GRAPH ?g {{ ?paper a <{FABIO.Preprint}> }} }}
                FILTER EXISTS {{ GRAPH ?h {{ ?citing <{CITO.cites}> ?paper }} }} }}""")


def _is_older(paper_modified: date | None, paper_version: str | None, stored: tuple[date | None, int | None]) -> bool:
    """Whether the incoming paper is older than the stored one (then the store keeps its version)."""
    stored_modified, stored_version = stored
    if paper_modified and stored_modified and paper_modified != stored_modified:
        return paper_modified < stored_modified
    if paper_version and stored_version is not None and paper_version[1:].isdigit():
        return int(paper_version[1:]) < stored_version
    return False


def update(
    inputs: list[Path],
    store: Path,
    *,
    base_iri: str,
    rejects_path: Path | None = None,
    layout: str | None = None,
    claims: bool = True,
    workers: int = 1,
    batch_size: int = 64,
    nlp: str | None = None,
) -> UpdateReport:
    """Apply ``inputs`` to ``store`` as a new version: replace the papers they hold, add new ones.

    ``claims``, ``workers``, ``batch_size`` and ``nlp`` are those of :func:`kg.build.build`.
    """
    if not inputs:
        raise InputError("kg update needs at least one --input")
    inputs = [Path(p) for p in inputs]
    iris = IriScheme(base_iri)
    report = UpdateReport(rejects_path=Path(rejects_path) if rejects_path else default_rejects_path(store))
    directory = StoreDirectory(store)
    if not directory.exists():
        raise InputError(f"{store}: no store to update (run `kg build --store {store}` first)")
    total, estimated = count_rows(inputs)

    with ExitStack() as stack:
        reject = stack.enter_context(RejectsFile(report.rejects_path, report))

        info: dict[str, Any] = {"updated_from": [str(p) for p in inputs], "base_iri": iris.base}
        writer = stack.enter_context(directory.new_version(info=info, from_current=True))
        report.quads_before = len(writer.store)
        fix = _Consistency(writer, iris)
        mapper = QuadMapper(iris, reject, BuildReport())
        runner = None
        if claims:
            from kg.extract.claims_batches import ClaimsRunner

            runner = ClaimsRunner(iris, workers=workers, batch_size=batch_size, nlp_name=nlp)
            stack.callback(runner.close)
            mapper.texts = []
        skipped: set[str] = set()
        existing: set[str] = set()

        def rows() -> Iterator[SourceRecord]:
            for row in progress(
                read_inputs(inputs, layout=layout), total=total, estimated=estimated, desc="update", unit="rows"
            ):
                report.rows += 1
                if isinstance(row, Rejected):
                    reject(row)
                    continue
                paper = row.paper
                if paper.arxiv_id in skipped:
                    continue
                if paper.arxiv_id not in mapper.papers:
                    stored = fix.stored(paper.arxiv_id)
                    if stored is not None:
                        if _is_older(paper.updated, paper.version, stored):
                            skipped.add(paper.arxiv_id)
                            continue
                        existing.add(paper.arxiv_id)
                yield row

        handle, name = tempfile.mkstemp(prefix=".update-", suffix=".nq", dir=directory.root)
        tmp = Path(name)
        stack.callback(tmp.unlink, missing_ok=True)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for record in rows():
                for item in mapper.row_with_claims(record, runner):
                    out.write(item if isinstance(item, str) else item.nquad())
            if runner is not None:
                out.writelines(runner.finish())
                report.claims = runner.claims

        new_ids = list(mapper.papers)
        replaced = [i for i in new_ids if i in existing]
        old_people = fix.linked(replaced, DCTERMS.creator)
        old_cited = fix.linked(replaced, CITO.cites)
        old_concepts = fix.concepts_in(replaced)
        fix.drop_graphs(replaced)
        if runner is not None:  # new concepts, and the extraction activity; existing concepts stay as they are
            from kg.extract.claims import activity_quads
            from kg.extract.entities import concept_quads

            known = fix.existing_concepts({iris.concept(key) for key, _, _ in runner.concepts})
            fresh = [c for c in runner.concepts if iris.concept(c[0]) not in known]
            with open(tmp, "a", encoding="utf-8") as out:
                out.writelines(q.nquad() for q in activity_quads(runner.label, iris))
                out.writelines(q.nquad() for q in concept_quads(fresh, iris))
        writer.bulk_load_files([tmp])
        fix.remove_uncredited_people(old_people)
        fix.remove_needless_stubs(old_cited | {iris.paper(i) for i in new_ids})
        fix.add_needed_stubs(sorted(mapper.cited))
        fix.remove_unreferenced_concepts(old_concepts)
        report.replaced = sorted(replaced)
        report.added = sorted(set(new_ids) - existing)
        report.skipped = sorted(skipped)
        report.chunks = mapper.report.chunks
        report.quads_after = len(writer.store)
        writer.info.update(
            added=len(report.added), replaced=len(report.replaced), skipped=len(report.skipped),
            rejected=report.rejected, quads=report.quads_after,
        )
    if not report.rejected and report.rejects_path.exists():
        report.rejects_path.unlink()
    return report


def delete(paper_ids: list[str], store: Path, *, base_iri: str) -> UpdateReport:
    """Remove papers (their graphs) as a new version; a deleted paper that others cite becomes a stub."""
    iris = IriScheme(base_iri)
    ids: list[str] = []
    for raw in paper_ids:
        arxiv_id = parse_arxiv_id(raw)
        if arxiv_id is None:
            raise InputError(f"{raw!r} is not an arXiv id")
        ids.append(arxiv_id)
    directory = StoreDirectory(store)
    if not directory.exists():
        raise InputError(f"{store}: no store here (run `kg build --store {store}` first)")
    report = UpdateReport()
    with directory.new_version(info={"deleted": ids, "base_iri": iris.base}, from_current=True) as writer:
        fix = _Consistency(writer, iris)
        found = fix.existing(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise InputError(f"not in the store, nothing deleted: {', '.join(missing)}")
        report.quads_before = len(writer.store)
        old_people = fix.linked(ids, DCTERMS.creator)
        old_cited = fix.linked(ids, CITO.cites)
        old_concepts = fix.concepts_in(ids)
        fix.drop_graphs(ids)
        fix.remove_uncredited_people(old_people)
        fix.remove_needless_stubs(old_cited)
        fix.add_needed_stubs(ids)
        fix.remove_unreferenced_concepts(old_concepts)
        report.deleted = sorted(ids)
        report.quads_after = len(writer.store)
        writer.info.update(deleted=report.deleted, quads=report.quads_after)
    return report
