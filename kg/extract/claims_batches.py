"""Claims extraction over batches of texts, in this process or in worker processes.

Workers take whole batches of :class:`~kg.extract.claims.TextJob` and return N-Quads text (spaCy's
own ``n_process`` was slower here); results come back in submission order, so a build is deterministic
whatever the number of workers. Concepts are shared facts: they are gathered from every batch and
emitted once, at the end, with the extraction activity.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult, Pool

from kg.extract.claims import BatchResult, TextJob, activity_key, activity_quads, extract_batch
from kg.extract.entities import concept_quads
from kg.extract.nlp import load_pipeline, pipeline_label
from kg.rdf import Quad
from kg.vocab import IriScheme


class ClaimsRunner:
    """Feed it texts with :meth:`add`, then :meth:`finish`; both yield N-Quads text as batches complete."""

    def __init__(self, iris: IriScheme, *, workers: int = 1, batch_size: int = 64, nlp_name: str | None = None) -> None:
        self.iris = iris
        self.workers = max(1, workers)
        self.batch_size = max(1, batch_size)
        self.nlp_name = nlp_name
        self.label = pipeline_label(load_pipeline(nlp_name))  # loaded before forking: workers inherit it
        self.pending: list[TextJob] = []
        self.running: deque[AsyncResult] = deque()
        self.pool: Pool | None = None
        if self.workers > 1:
            methods = multiprocessing.get_all_start_methods()
            self.pool = multiprocessing.get_context("fork" if "fork" in methods else None).Pool(self.workers)
        self.concepts: list[tuple[str, str, str]] = []
        self.claims = 0
        self.mentions = 0
        self.words = 0

    def _take(self, result: BatchResult) -> str:
        self.concepts.extend(result.concepts)
        self.claims += result.claims
        self.mentions += result.mentions
        self.words += result.words
        return result.nquads

    def _submit(self) -> Iterator[str]:
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.pool is None:
            yield self._take(extract_batch(batch, self.iris.base, self.nlp_name))
            return
        self.running.append(self.pool.apply_async(extract_batch, (batch, self.iris.base, self.nlp_name)))
        while self.running and (len(self.running) > 2 * self.workers or self.running[0].ready()):
            yield self._take(self.running.popleft().get())

    def add(self, job: TextJob) -> Iterator[str]:
        self.pending.append(job)
        if len(self.pending) >= self.batch_size:
            yield from self._submit()

    def finish(self) -> Iterator[str]:
        """The remaining batches' N-Quads text."""
        try:
            yield from self._submit()
            while self.running:
                yield self._take(self.running.popleft().get())
        finally:
            self.close()

    def shared_quads(self) -> Iterator[Quad]:
        """Concepts and the extraction activity: shared facts, once each (call after :meth:`finish`)."""
        yield from activity_quads(self.label, self.iris)
        yield from concept_quads(self.concepts, self.iris)

    def activity(self) -> str:
        return self.iris.activity(activity_key(self.label))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None
