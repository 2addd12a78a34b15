"""Claims: sentences in which the authors assert something of their own, each traceable to its exact span.

Two steps, kept apart: :func:`find_claims` reads what the spaCy pipeline marked in a doc and returns
plain :class:`FoundClaim` values (offsets, type, polarity, hedging, structured parts); :func:`claim_quads`
turns them into quads. :func:`extract_batch` runs both over a batch of :class:`TextJob` and returns
N-Quads text, so that worker processes can ship their results as plain strings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import spacy
from spacy.tokens import Doc, Span

from kg.extract.entities import FoundMention, concept_quads, find_mentions, mention_quads, paper_names
from kg.extract.nlp import PIPELINE_NAME, PIPELINE_VERSION, load_pipeline, pipeline_label
from kg.extract.nlp.components import TEXT_KEY, span_text
from kg.rdf import Quad, iri, literal
from kg.sources.records import Chunk, Paper
from kg.vocab import DCTERMS, KG, NIF, PROV, PROVENANCE_GRAPH, RDF, RDFS, XSD, IriScheme

log = logging.getLogger("kg.claims")
_TYPE = iri(RDF.type)
_CLAIM_TYPE = {"contribution": KG.Contribution, "result": KG.Result, "comparison": KG.Comparison,
               "finding": KG.Finding}
_VALUE = re.compile(r"\d+(?:\.\d+)?%?")
_TRIPLE_RELATIONS = frozenset({"outperforms", "isComparableTo", "underperforms"})
_SUBJECT_TYPES = ("Method", "Dataset", "OtherScientificTerm", "Task")


@dataclass(frozen=True, slots=True)
class TextJob:
    """One text to read: a paper's abstract (``chunk`` None) or one of its chunks; picklable."""

    arxiv_id: str
    text: str
    chunk: int | None = None
    names: tuple[tuple[str, str, str], ...] = ()

    @property
    def context_key(self) -> str:
        return "abstract" if self.chunk is None else f"c{self.chunk}"


def abstract_job(paper: Paper) -> TextJob | None:
    return TextJob(paper.arxiv_id, paper.abstract, None, paper_names(paper)) if paper.abstract else None


def chunk_job(chunk: Chunk, paper: Paper) -> TextJob:
    return TextJob(chunk.arxiv_id, chunk.text, chunk.index, paper_names(paper))


@dataclass(frozen=True, slots=True)
class FoundClaim:
    """One claim sentence: ``[begin, end)`` in its context text and what the rules made of it."""

    begin: int
    end: int
    text: str
    claim_type: str
    negated: bool
    hedged: bool
    confidence: float
    mentions: tuple[FoundMention, ...] = ()
    relation: str | None = None
    subject: FoundMention | None = None
    object: FoundMention | None = None
    dataset: FoundMention | None = None
    metric: FoundMention | None = None
    value: str | None = None


def _value_after(span: Span, cue_end: int, mentions: Sequence[FoundMention]) -> str | None:
    """The first number after the cue that is not part of a name, a year or an aside (with its ``%``)."""
    doc = span.doc
    depth = 0
    for token in doc[cue_end:span.end]:
        if token.text in "([":
            depth += 1
        elif token.text in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and token.like_num and _VALUE.fullmatch(token.text):
            if any(m.begin <= token.idx < m.end for m in mentions):
                continue
            if len(token.text) == 4 and token.text.isdigit() and token.text[:2] in ("19", "20"):
                continue
            nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
            return token.text + ("%" if nxt is not None and nxt.text == "%" else "")
    return None


def _structure(span: Span, mentions: Sequence[FoundMention], cue_start: int, cue_end: int) -> dict:
    """Subject, object and qualifiers around the cue: nearest entity before, first after, then dataset/metric/value."""
    doc = span.doc
    cue_b, cue_e = doc[cue_start].idx, doc[cue_end - 1].idx + len(doc[cue_end - 1])
    before = [m for m in mentions if m.end <= cue_b and m.entity_type in _SUBJECT_TYPES]
    after = [m for m in mentions if m.begin >= cue_e and m.entity_type in ("Method", "OtherScientificTerm")]
    subject = before[-1] if before else None
    if doc.has_annotation("DEP"):
        head = doc[cue_start]
        for child in head.children:
            if child.dep_ in ("nsubj", "nsubjpass"):
                sub = [m for m in mentions if m.begin <= child.idx < m.end]
                subject = sub[0] if sub else subject
    datasets = [m for m in mentions if m.begin >= cue_e and m.entity_type == "Dataset"]
    metrics = [m for m in mentions if m.entity_type == "Metric"]
    value = _value_after(span, cue_end, mentions)
    return {
        "subject": subject,
        "object": after[0] if after else None,
        "dataset": datasets[0] if datasets else None,
        "metric": metrics[0] if metrics else None,
        "value": value,
    }


def find_claims(doc: Doc, mentions: Sequence[FoundMention] | None = None) -> list[FoundClaim]:
    """The claims the pipeline marked in ``doc`` (pure: reads ``doc.spans``, writes nothing)."""
    if mentions is None:
        mentions = find_mentions(doc)
    found = []
    for span in doc.spans.get("kg_claims", ()):
        cue = span._.kg_claim
        inside = tuple(m for m in mentions if span.start_char <= m.begin and m.end <= span.end_char)
        parts = _structure(span, inside, cue.cue_start, cue.cue_end) if cue.relation else {}
        if parts and not (parts["subject"] or parts["object"] or parts["value"]):
            parts = {}
        found.append(FoundClaim(
            span.start_char, span.end_char, span_text(span), cue.claim_type, cue.negated, cue.hedged, cue.confidence,
            inside, cue.relation if parts else None, **parts,
        ))
    return found


def activity_key(nlp_label: str) -> str:
    return re.sub(r"[^\w.]+", "-", f"{nlp_label} spacy {spacy.__version__}").strip("-").lower()


def activity_quads(nlp_label: str, iris: IriScheme) -> Iterator[Quad]:
    """The extraction activity: which pipeline, which version, which spaCy (shared provenance graph)."""
    g = iri(iris.shared_graph(PROVENANCE_GRAPH))
    a = iri(iris.activity(activity_key(nlp_label)))
    yield Quad(a, _TYPE, iri(PROV.Activity), g)
    yield Quad(a, iri(RDFS.label), literal(f"claims and entities extraction with {nlp_label}"), g)
    yield Quad(a, iri(KG.pipeline), literal(nlp_label.split(" ")[0] if nlp_label else PIPELINE_NAME), g)
    yield Quad(a, iri(KG.pipelineVersion), literal(PIPELINE_VERSION), g)
    yield Quad(a, iri(KG.spacyVersion), literal(spacy.__version__), g)


def context_quads(job: TextJob, iris: IriScheme) -> Iterator[Quad]:
    """The abstract as a NIF context (a chunk is already one, written by the chunks extractor)."""
    if job.chunk is not None:
        return
    g = iri(iris.paper_graph(job.arxiv_id))
    c = iri(iris.abstract_context(job.arxiv_id))
    yield Quad(c, _TYPE, iri(NIF.Context), g)
    yield Quad(c, iri(NIF.isString), literal(job.text), g)
    yield Quad(c, iri(DCTERMS.isPartOf), iri(iris.paper(job.arxiv_id)), g)


def context_iri(job: TextJob, iris: IriScheme) -> str:
    return iris.abstract_context(job.arxiv_id) if job.chunk is None else iris.chunk(job.arxiv_id, job.chunk)


def claim_quads(job: TextJob, claims: Iterable[FoundClaim], iris: IriScheme, activity: str) -> Iterator[Quad]:
    """Quads of the claims found in one text (the paper's graph)."""
    g = iri(iris.paper_graph(job.arxiv_id))
    context = iri(context_iri(job, iris))
    paper = iri(iris.paper(job.arxiv_id))
    for claim in claims:
        c = iri(iris.claim(job.arxiv_id, f"{job.context_key}-{claim.begin}-{claim.end}"))
        yield Quad(c, _TYPE, iri(KG.Claim), g)
        yield Quad(c, iri(KG.statedIn), paper, g)
        yield Quad(c, iri(NIF.anchorOf), literal(claim.text), g)
        yield Quad(c, iri(NIF.referenceContext), context, g)
        yield Quad(c, iri(NIF.beginIndex), literal(str(claim.begin), datatype=XSD.nonNegativeInteger), g)
        yield Quad(c, iri(NIF.endIndex), literal(str(claim.end), datatype=XSD.nonNegativeInteger), g)
        yield Quad(c, iri(KG.claimType), iri(_CLAIM_TYPE[claim.claim_type]), g)
        yield Quad(c, iri(KG.negated), literal("true" if claim.negated else "false", datatype=XSD.boolean), g)
        yield Quad(c, iri(KG.hedged), literal("true" if claim.hedged else "false", datatype=XSD.boolean), g)
        yield Quad(c, iri(KG.confidence), literal(f"{claim.confidence:.2f}", datatype=XSD.decimal), g)
        yield Quad(c, iri(PROV.wasGeneratedBy), iri(activity), g)
        for concept in sorted({m.concept for m in claim.mentions}):
            yield Quad(c, iri(KG.mentions), iri(iris.concept(concept)), g)
        if claim.relation:
            yield Quad(c, iri(KG.relation), iri(KG[claim.relation]), g)
            for predicate, part in ((KG.subject, claim.subject), (KG.object, claim.object),
                                    (KG.onDataset, claim.dataset), (KG.onMetric, claim.metric)):
                if part is not None:
                    yield Quad(c, iri(predicate), iri(iris.concept(part.concept)), g)
            if claim.value:
                yield Quad(c, iri(KG.value), literal(claim.value), g)
            if (claim.subject and claim.object and claim.subject.concept != claim.object.concept
                    and not claim.negated and not claim.hedged and claim.relation in _TRIPLE_RELATIONS):
                # the comparison as a plain triple users can query: <concept/x> kg:outperforms <concept/y>
                yield Quad(iri(iris.concept(claim.subject.concept)), iri(KG[claim.relation]),
                           iri(iris.concept(claim.object.concept)), g)


@dataclass
class BatchResult:
    """What a batch gives back: N-Quads text for the papers' graphs and the concepts it saw."""

    nquads: str
    concepts: list[tuple[str, str, str]] = field(default_factory=list)
    claims: int = 0
    mentions: int = 0
    words: int = 0


def docs_for(jobs: Sequence[TextJob], nlp_name: str | None = None, batch_size: int = 64) -> Iterator[Doc]:
    """The pipeline's docs for ``jobs``, in order, each told its paper's names and whether it is an abstract."""
    nlp = load_pipeline(nlp_name)

    def prepared() -> Iterator[Doc]:
        for job in jobs:
            doc = nlp.make_doc(job.text)
            doc._.kg_names = job.names
            doc.user_data["kg_abstract"] = job.chunk is None
            doc.user_data[TEXT_KEY] = job.text
            yield doc

    return nlp.pipe(prepared(), batch_size=batch_size)


def extract_batch(jobs: Sequence[TextJob], base_iri: str, nlp_name: str | None = None) -> BatchResult:
    """Claims and mentions of a batch of texts as N-Quads text: the unit of work of a worker process."""
    iris = IriScheme(base_iri)
    nlp = load_pipeline(nlp_name)
    activity = iris.activity(activity_key(pipeline_label(nlp)))
    too_long = [job for job in jobs if len(job.text) > nlp.max_length]
    for job in too_long:
        log.warning("claims: paper %s %s skipped: %d characters, more than the pipeline's limit of %d",
                    job.arxiv_id, job.context_key, len(job.text), nlp.max_length)
    jobs = [job for job in jobs if len(job.text) <= nlp.max_length]
    lines: list[str] = []
    result = BatchResult("")
    try:
        pairs = list(zip(jobs, docs_for(jobs, nlp_name), strict=True))
    except Exception:  # one bad text must not stop the others: redo the batch one text at a time
        pairs = []
        for job in jobs:
            try:
                pairs.append((job, next(iter(docs_for([job], nlp_name)))))
            except Exception as err:
                log.warning("claims: paper %s %s skipped: %s: %s", job.arxiv_id, job.context_key,
                            type(err).__name__, err)
    for job, doc in pairs:
        mentions = find_mentions(doc)
        claims = find_claims(doc, mentions)
        context = context_iri(job, iris)
        quads: list[Quad] = list(context_quads(job, iris))
        quads.extend(claim_quads(job, claims, iris, activity))
        for mention in mentions:
            quads.extend(mention_quads(mention, job.arxiv_id, context, job.context_key, iris))
            result.concepts.append((mention.concept, mention.entity_type, mention.label))
        lines.extend(q.nquad() for q in quads)
        result.claims += len(claims)
        result.mentions += len(mentions)
        result.words += len(job.text.split())
    result.nquads = "".join(lines)
    return result


__all__ = [
    "BatchResult", "FoundClaim", "TextJob", "abstract_job", "activity_quads", "chunk_job", "claim_quads",
    "concept_quads", "extract_batch", "find_claims",
]
