"""Words per second of the claims and entities pipeline, on one core and two, against a baseline run side by side.

    .venv/bin/python bench/claims_speed.py            # 5 repeats, medians
    .venv/bin/python bench/claims_speed.py --repeats 3 --copies 2

Corpora: the sample's real text (every chunk and abstract, ``--copies`` times over) and a synthetic
corpus of the same size made by shuffling the sample's sentences into new texts (seeded). The baseline
is spaCy's blank English tokenizer over the same texts in the same process, so the ratio holds on a
noisy machine. Also: the claims' share of ``kg build`` time on the sample.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import spacy

from kg.build import build
from kg.extract.claims import TextJob, abstract_job, chunk_job, extract_batch
from kg.extract.claims_batches import ClaimsRunner
from kg.extract.nlp import load_pipeline
from kg.sources import read_inputs
from kg.sources.readers import sample_path
from kg.sources.records import SourceRecord
from kg.vocab import DEFAULT_BASE_IRI, IriScheme


def sample_jobs() -> list[TextJob]:
    jobs, seen = [], set()
    for record in read_inputs([sample_path()]):
        if not isinstance(record, SourceRecord):
            continue
        if record.paper.arxiv_id not in seen:
            seen.add(record.paper.arxiv_id)
            job = abstract_job(record.paper)
            if job:
                jobs.append(job)
        if record.chunk is not None:
            jobs.append(chunk_job(record.chunk, record.paper))
    return jobs


def synthetic_jobs(jobs: list[TextJob], seed: int = 4) -> list[TextJob]:
    """New texts of the same sizes from the sample's sentences, shuffled."""
    nlp = load_pipeline()
    sentences = [s.text for doc in nlp.pipe(j.text for j in jobs) for s in doc.sents]
    rng = random.Random(seed)
    rng.shuffle(sentences)
    out, i = [], 0
    for n, job in enumerate(jobs):
        words, parts = 0, []
        target = len(job.text.split())
        while words < target:
            parts.append(sentences[i % len(sentences)])
            words += len(parts[-1].split())
            i += 1
        out.append(TextJob(job.arxiv_id, " ".join(parts), n, job.names))
    return out


def words(jobs: list[TextJob]) -> int:
    return sum(len(j.text.split()) for j in jobs)


def median_rate(run: Callable[[], None], n_words: int, repeats: int, clock: Callable[[], float] = time.perf_counter,
                ) -> float:
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return n_words / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4, help="times the sample text is repeated per run")
    args = parser.parse_args()
    real = sample_jobs() * args.copies
    corpora = {"sample text": real, "synthetic": synthetic_jobs(real)}
    blank = spacy.blank("en")
    iris = IriScheme(DEFAULT_BASE_IRI)
    extract_batch(real[:4], iris.base)  # load and warm the pipeline before timing

    def two_workers(jobs: list[TextJob]) -> None:
        runner = ClaimsRunner(iris, workers=2, batch_size=32)
        for job in jobs:
            for _ in runner.add(job):
                pass
        for _ in runner.finish():
            pass

    print(f"repeats: {args.repeats} (medians); words per run: {words(real)}")
    print("words/s: 'cpu' columns per CPU-second of this process (unaffected by other load), 'wall' per second")
    header = ("corpus", "tokenizer cpu", "pipeline cpu", "ratio", "pipeline wall", "2 workers wall")
    print(f"{header[0]:<12} {header[1]:>14} {header[2]:>13} {header[3]:>6} {header[4]:>14} {header[5]:>15}")
    for name, jobs in corpora.items():
        n = words(jobs)
        texts = [j.text for j in jobs]
        cpu = time.process_time
        base = median_rate(lambda texts=texts: [blank.make_doc(t) for t in texts], n, args.repeats, cpu)
        one = median_rate(lambda jobs=jobs: extract_batch(jobs, iris.base), n, args.repeats, cpu)
        one_wall = median_rate(lambda jobs=jobs: extract_batch(jobs, iris.base), n, args.repeats)
        two = median_rate(lambda jobs=jobs: two_workers(jobs), n, args.repeats)
        print(f"{name:<12} {base:>14,.0f} {one:>13,.0f} {one / base:>6.2f} {one_wall:>14,.0f} {two:>15,.0f}")

    with tempfile.TemporaryDirectory() as tmp:
        timings = {True: [], False: []}
        for i in range(max(3, args.repeats // 2)):
            for claims in (False, True):
                start = time.perf_counter()
                build([], Path(tmp) / f"s{i}{claims}", base_iri=iris.base, claims=claims)
                timings[claims].append(time.perf_counter() - start)
        with_claims, without = statistics.median(timings[True]), statistics.median(timings[False])
        print(f"kg build on the sample: {without:.2f} s without claims, {with_claims:.2f} s with; "
              f"claims are {(with_claims - without) / with_claims:.0%} of build time")


if __name__ == "__main__":
    main()
