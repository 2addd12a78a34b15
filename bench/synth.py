"""Synthetic corpora for benchmarks: the ai-arxiv chunk layout or the arXiv metadata snapshot shape.

Realistic where it matters for a build: authors recur across papers (Zipf-like), categories come
from the real taxonomy (AI-heavy, like the ai-arxiv corpus), citations point mostly inside the
corpus, chunk text and abstracts are recombined from the sentences of the bundled sample, and the
same ``--seed`` gives byte-identical output.

    python bench/synth.py --papers 10000 --output /tmp/synth-10k.jsonl
    python bench/synth.py --papers 100000 --shape arxiv-snapshot --output /tmp/snapshot-100k.jsonl
    python bench/synth.py --papers 1000 --output /tmp/synth-1k.parquet     # Parquet by the file name

It is fast because each paper's metadata is serialised once and every chunk row is a string join
of pre-escaped sentences with that metadata.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import itertools
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

SAMPLE = Path(__file__).resolve().parent.parent / "kg" / "data" / "ai-arxiv-sample.jsonl"
SHAPES = ("ai-arxiv", "arxiv-snapshot")

# Categories of an AI corpus, most frequent first (primary categories are drawn Zipf-like from this list);
# the snapshot shape adds the rest of the taxonomy's active categories after these.
AI_CATEGORIES = (
    "cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML", "cs.IR", "cs.RO", "cs.NE", "cs.HC", "cs.SE", "cs.CY", "cs.CR",
    "cs.MA", "cs.SD", "eess.AS", "eess.IV", "math.OC", "cs.DB", "cs.DC", "q-bio.NC",
)
LICENSES = (
    "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "http://creativecommons.org/licenses/by/4.0/",
    None,
    "http://creativecommons.org/licenses/by-nc-sa/4.0/",
    "http://creativecommons.org/licenses/by-sa/4.0/",
    "http://creativecommons.org/publicdomain/zero/1.0/",
)
JOURNALS = ("Phys. Rev. D", "J. Mach. Learn. Res.", "Nature", "Trans. Assoc. Comput. Linguist.", "Neural Comput.")
DOI_PREFIXES = ("10.1103/PhysRevD", "10.1162/tacl_a", "10.1038/s41586", "10.1016/j.neunet", "10.1109/TPAMI")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"^[A-Za-z][a-z]{3,}$")
_BAD_NAME_PARTS = frozenset({"and", "jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md"})
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Material:
    """What the generator recombines: sentences (raw and JSON-escaped), title words, name parts."""

    sentences: tuple[str, ...]
    escaped: tuple[str, ...]
    words: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def load_material(sample: Path = SAMPLE) -> Material:
    """Sentences, title words and name parts from the bundled sample."""
    sentences: dict[str, None] = {}
    words: dict[str, None] = {}
    firsts: dict[str, None] = {}
    lasts: dict[str, None] = {}
    with open(sample, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            for text in (row.get("chunk") or "", row.get("summary") or ""):
                for sentence in _SENTENCE_END.split(" ".join(text.split())):
                    if 30 <= len(sentence) <= 400:
                        sentences[sentence] = None
            for word in (row.get("title") or "").split() + (row.get("summary") or "").split():
                if _WORD.match(word):
                    words[word.capitalize()] = None
            for name in (row.get("authors") or "").split(","):
                parts = name.split()
                if len(parts) >= 2 and not {p.casefold() for p in parts} & _BAD_NAME_PARTS:
                    firsts[parts[0]] = None
                    lasts[parts[-1]] = None
    ordered = tuple(sentences)
    return Material(
        sentences=ordered,
        escaped=tuple(_escape(s) for s in ordered),
        words=tuple(words),
        first_names=tuple(firsts),
        last_names=tuple(lasts),
    )


def _zipf_cum_weights(n: int, exponent: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank ** exponent) for rank in range(1, n + 1)))


@dataclass(frozen=True)
class SynthPaper:
    """One generated paper, before it is written in either shape."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    abstract: str
    published: date
    updated: date
    comment: str | None
    journal_ref: str | None
    doi: str | None
    license: str | None
    versions: int
    references: tuple[str, ...]
    chunks: int


class Generator:
    """Deterministic generator of papers: the same seed and size give the same corpus."""

    def __init__(
        self, papers: int, *, seed: int = 0, chunks_per_paper: int = 90, shape: str = "ai-arxiv",
        material: Material | None = None,
    ) -> None:
        self.n = papers
        self.rng = random.Random(seed)
        self.chunks_mean = chunks_per_paper
        self.material = material or load_material()
        self.shape = shape
        self.ids = self._ids(papers)
        self.people = self._people(max(50, int(papers * 1.5)))
        self._people_cw = _zipf_cum_weights(len(self.people), 1.05)
        categories = list(AI_CATEGORIES)
        if shape == "arxiv-snapshot":
            categories += self._other_active_categories(set(categories))
        self.categories = categories
        self._category_cw = _zipf_cum_weights(len(categories), 1.2)
        self._cited_cw = _zipf_cum_weights(max(1, papers), 0.8)
        self._cited_order = list(range(papers))
        self.rng.shuffle(self._cited_order)

    @staticmethod
    def _other_active_categories(skip: set[str]) -> list[str]:
        try:
            from kg.sources.taxonomy import load_taxonomy
        except ImportError:  # run from a checkout without the package installed
            sys.path.insert(0, str(SAMPLE.parent.parent.parent))
            from kg.sources.taxonomy import load_taxonomy
        taxonomy = load_taxonomy()
        return sorted(c for c, cat in taxonomy.categories.items() if cat.status == "active" and c not in skip)

    def _ids(self, n: int) -> list[str]:
        """New-style ids spread over months from 2015 on (a few old-style ones in the snapshot shape)."""
        per_month = max(1, min(9000, n // 60 + 1))
        out: list[str] = []
        month = 0
        number = 0
        for _ in range(n):
            number += self.rng.randint(1, 9)
            if number > 99999 or (number > per_month * 9 and self.rng.random() < 0.5):
                month += 1
                number = self.rng.randint(1, 9)
            year, mon = 15 + month // 12, month % 12 + 1
            out.append(f"{year:02d}{mon:02d}.{number:05d}")
        return out

    def _people(self, n: int) -> list[str]:
        firsts, lasts = self.material.first_names, self.material.last_names
        initials = [""] + [f"{c}. " for c in "ABCDEFGHJKLMNPRSTVW"]
        combos = len(firsts) * len(lasts) * len(initials)
        n = min(n, combos)
        picked: dict[str, None] = {}
        while len(picked) < n:
            name = f"{self.rng.choice(firsts)} {self.rng.choice(initials)}{self.rng.choice(lasts)}"
            picked[name] = None
        people = list(picked)
        self.rng.shuffle(people)
        return people

    def _sentences(self, count: int) -> list[int]:
        return self.rng.choices(range(len(self.material.sentences)), k=count)

    def _title(self) -> str:
        words = self.rng.sample(self.material.words, self.rng.randint(4, 10))
        if self.rng.random() < 0.4:
            words.insert(self.rng.randint(1, 3), ":")
            return " ".join(words).replace(" :", ":")
        return " ".join(words)

    def paper(self, i: int) -> SynthPaper:
        rng = self.rng
        arxiv_id = self.ids[i]
        authors = tuple(dict.fromkeys(
            rng.choices(self.people, cum_weights=self._people_cw, k=max(1, int(rng.lognormvariate(1.5, 0.6))))
        ))
        n_cats = 1 + min(3, int(rng.expovariate(1.2)))
        categories = tuple(dict.fromkeys(rng.choices(self.categories, cum_weights=self._category_cw, k=n_cats)))
        yy, mm = int(arxiv_id[:2]), int(arxiv_id[2:4])
        published = date(2000 + yy, mm, rng.randint(1, 28))
        versions = 1 + min(4, int(rng.expovariate(1.5)))
        updated = published + timedelta(days=rng.randint(1, 400)) if versions > 1 else published
        n_refs = min(80, int(rng.lognormvariate(3.0, 0.7)))
        refs: dict[str, None] = {}
        for _ in range(n_refs):
            if rng.random() < 0.8 and self.n > 1:
                j = self._cited_order[bisect.bisect_left(self._cited_cw, rng.random() * self._cited_cw[-1])]
                cited = self.ids[j]
            else:  # a paper outside the corpus, before it
                cited = f"{rng.randint(10, 14):02d}{rng.randint(1, 12):02d}.{rng.randint(1, 9999):04d}"
            if cited != arxiv_id:
                refs[cited] = None
        has_doi = rng.random() < 0.25
        return SynthPaper(
            arxiv_id=arxiv_id,
            title=self._title(),
            authors=authors,
            categories=categories,
            abstract=" ".join(self.material.sentences[k] for k in self._sentences(rng.randint(4, 9))),
            published=published,
            updated=updated,
            comment=f"{rng.randint(5, 60)} pages, {rng.randint(1, 15)} figures" if rng.random() < 0.6 else None,
            journal_ref=f"{rng.choice(JOURNALS)} {rng.randint(1, 120)} ({published.year})" if has_doi else None,
            doi=f"{rng.choice(DOI_PREFIXES)}.{rng.randint(1000, 99999)}" if has_doi else None,
            license=rng.choice(LICENSES),
            versions=versions,
            references=tuple(refs),
            chunks=max(1, int(rng.gauss(self.chunks_mean, self.chunks_mean / 3))),
        )

    def papers(self) -> Iterator[SynthPaper]:
        for i in range(self.n):
            yield self.paper(i)

    def chunk_text(self) -> str:
        """About 950 characters of recombined sentences, already JSON-escaped."""
        escaped = self.material.escaped
        out: list[str] = []
        size = 0
        target = self.rng.randint(600, 1300)
        for k in self._sentences(12):
            out.append(escaped[k])
            size += len(escaped[k]) + 1
            if size >= target:
                break
        return " ".join(out)


# ---------------------------------------------------------------------------------------------
# ai-arxiv chunk rows
# ---------------------------------------------------------------------------------------------


def ai_arxiv_metadata(paper: SynthPaper) -> dict[str, Any]:
    """The metadata every chunk row of ``paper`` repeats, in the dataset's field order."""
    return {
        "title": paper.title,
        "summary": paper.abstract,
        "source": f"http://arxiv.org/pdf/{paper.arxiv_id}v{paper.versions}",
        "authors": ", ".join(paper.authors),
        "categories": ", ".join(paper.categories),
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "primary_category": paper.categories[0],
        "published": paper.published.strftime("%Y%m%d"),
        "updated": paper.updated.strftime("%Y%m%d"),
        "references": [{"id": r} for r in paper.references],
    }


def ai_arxiv_lines(gen: Generator) -> Iterator[str]:
    """JSON Lines of chunk rows, one paper's rows after the other."""
    for paper in gen.papers():
        tail = json.dumps(ai_arxiv_metadata(paper), ensure_ascii=False)[1:]
        doi = paper.arxiv_id
        for index in range(paper.chunks):
            yield (
                f'{{"doi": "{doi}", "chunk-id": {index}, "chunk": "{gen.chunk_text()}", '
                f'"id": "{doi}#{index}", {tail}\n'
            )


def ai_arxiv_rows(gen: Generator) -> Iterator[dict[str, Any]]:
    """The same rows as dictionaries (for Parquet)."""
    for paper in gen.papers():
        meta = ai_arxiv_metadata(paper)
        for index in range(paper.chunks):
            text = json.loads(f'"{gen.chunk_text()}"')
            yield {"doi": paper.arxiv_id, "chunk-id": index, "chunk": text, "id": f"{paper.arxiv_id}#{index}", **meta}


# ---------------------------------------------------------------------------------------------
# arXiv metadata snapshot
# ---------------------------------------------------------------------------------------------


def _split_name(name: str) -> list[str]:
    parts = name.split()
    return [parts[-1], " ".join(parts[:-1]), ""]


def _rfc2822(day: date, rng: random.Random) -> str:
    return (
        f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} GMT"
    )


def _wrap(text: str, width: int = 72) -> str:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n".join(lines)


def snapshot_record(paper: SynthPaper, rng: random.Random) -> dict[str, Any]:
    """One record of the arXiv metadata snapshot (the Kaggle ``arxiv-metadata-oai-snapshot.json``)."""
    version_days = sorted({paper.published, paper.updated} | {
        paper.published + timedelta(days=rng.randint(1, max(1, (paper.updated - paper.published).days)))
        for _ in range(paper.versions - 2)
    })
    versions = [{"version": f"v{n}", "created": _rfc2822(day, rng)} for n, day in enumerate(version_days, start=1)]
    if len(paper.authors) > 1:
        authors = ", ".join(paper.authors[:-1]) + " and " + paper.authors[-1]
    else:
        authors = paper.authors[0]
    return {
        "id": paper.arxiv_id,
        "submitter": paper.authors[0],
        "authors": authors,
        "title": _wrap(paper.title, 60).replace("\n", "\n  "),
        "comments": paper.comment,
        "journal-ref": paper.journal_ref,
        "doi": paper.doi,
        "report-no": f"REPORT-{rng.randint(1, 999)}" if rng.random() < 0.03 else None,
        "categories": " ".join(paper.categories),
        "license": paper.license,
        "abstract": "  " + _wrap(paper.abstract) + "\n",
        "versions": versions,
        "update_date": paper.updated.isoformat(),
        "authors_parsed": [_split_name(a) for a in paper.authors],
    }


def snapshot_lines(gen: Generator) -> Iterator[str]:
    for paper in gen.papers():
        yield json.dumps(snapshot_record(paper, gen.rng), ensure_ascii=False) + "\n"


def snapshot_rows(gen: Generator) -> Iterator[dict[str, Any]]:
    for paper in gen.papers():
        yield snapshot_record(paper, gen.rng)


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    if str(path) == "-":
        return sys.stdout
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=3)
    return open(path, "w", encoding="utf-8", buffering=1 << 22)


def write_jsonl(gen: Generator, path: Path) -> int:
    lines = ai_arxiv_lines(gen) if gen.shape == "ai-arxiv" else snapshot_lines(gen)
    rows = 0
    out = _open_text(path)
    try:
        while True:
            block = list(itertools.islice(lines, 2048))
            if not block:
                break
            out.write("".join(block))
            rows += len(block)
    finally:
        if out is not sys.stdout:
            out.close()
    return rows


def write_parquet(gen: Generator, path: Path, *, batch_rows: int = 8192) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows_iter = ai_arxiv_rows(gen) if gen.shape == "ai-arxiv" else snapshot_rows(gen)
    rows = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        while True:
            block = list(itertools.islice(rows_iter, batch_rows))
            if not block:
                break
            table = pa.Table.from_pylist(block, schema=schema)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table)
            rows += len(block)
    finally:
        if writer is not None:
            writer.close()
    return rows


def generate(
    path: Path, *, papers: int, seed: int = 0, shape: str = "ai-arxiv", chunks_per_paper: int = 90
) -> int:
    """Write a synthetic corpus to ``path`` (``.parquet`` or JSON Lines, ``.gz`` allowed); returns rows written."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r} (expected one of {', '.join(SHAPES)})")
    gen = Generator(papers, seed=seed, chunks_per_paper=chunks_per_paper, shape=shape)
    if str(path).endswith((".parquet", ".pq")):
        return write_parquet(gen, path)
    return write_jsonl(gen, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic arXiv corpus (ai-arxiv chunk rows or the arXiv metadata snapshot shape).",
        epilog="example:\n  python bench/synth.py --papers 10000 --seed 1 --output /tmp/synth-10k.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--papers", type=int, required=True, help="number of papers")
    parser.add_argument("--output", "-o", type=Path, default=Path("-"),
                        help="output file: .jsonl, .jsonl.gz or .parquet (default: stdout)")
    parser.add_argument("--shape", choices=SHAPES, default="ai-arxiv", help="record layout (default ai-arxiv)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same bytes")
    parser.add_argument("--chunks-per-paper", type=int, default=90,
                        help="mean chunk rows per paper in the ai-arxiv shape (default 90, as in ai-arxiv2-chunks)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = generate(args.output, papers=args.papers, seed=args.seed, shape=args.shape,
                    chunks_per_paper=args.chunks_per_paper)
    print(f"synth: {rows} rows of {args.papers} papers ({args.shape}) in {time.perf_counter() - start:.1f} s "
          f"-> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
