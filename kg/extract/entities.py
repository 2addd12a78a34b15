"""Research entities: mentions as NIF spans linked to one shared concept per normalised name."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from spacy.tokens import Doc

from kg.extract.nlp.components import MENTION_LABELS_KEY, TEXT_KEY
from kg.rdf import Quad, iri, literal
from kg.sources.records import Paper
from kg.vocab import CONCEPTS_GRAPH, ITSRDF, KG, NIF, RDF, RDFS, SKOS, XSD, IriScheme

_TYPE = iri(RDF.type)
_TITLE_NAME = re.compile(r"^\s*([A-Z][\w.+-]*(?: [\w.+-]+){0,3}?)\s*:\s")
_CALLED = re.compile(r"\b(?:called|named|dubbed)\s+([A-Z][\w.+-]*(?:[ -][A-Z0-9][\w.+-]*){0,3})")
_DEFINED = re.compile(r"\b((?:[A-Z][a-z]+ ){1,5}[A-Z][a-z]+) \(([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*s?)\)")


@dataclass(frozen=True, slots=True)
class FoundMention:
    """One entity mention: ``[begin, end)`` in its context text, its SciERC type and concept."""

    begin: int
    end: int
    text: str
    entity_type: str
    concept: str  # the normalised name, the slug of the concept IRI
    label: str  # the concept's display name


def paper_names(paper: Paper) -> tuple[tuple[str, str, str], ...]:
    """Names a paper introduces in its title and abstract, to find again in its text: (name, type, canonical).

    The system named before the title's colon (``Llama 2: Open Foundation ...``), names given with
    ``called``/``named`` in the abstract, and abbreviations defined there (both forms).

    >>> p = Paper("1", "Llama 2: Open Models", ("A",), (), abstract="Our LLMs, called Llama 2-Chat, are good.")
    >>> paper_names(p)
    (('Llama 2', 'Method', 'Llama 2'), ('Llama 2-Chat', 'Method', 'Llama 2-Chat'))
    """
    names: list[tuple[str, str, str]] = []
    title = _TITLE_NAME.match(paper.title)
    if title:
        names.append((title.group(1), "Method", title.group(1)))
    abstract = paper.abstract or ""
    for m in _CALLED.finditer(abstract):
        name = m.group(1).rstrip(".,")
        names.append((name, "Method", name))
    for m in _DEFINED.finditer(abstract):
        names.append((m.group(1), "OtherScientificTerm", m.group(1)))
        names.append((m.group(2), "OtherScientificTerm", m.group(1)))
    seen: set[str] = set()
    return tuple(n for n in names if not (n[0] in seen or seen.add(n[0])))


def find_mentions(doc: Doc) -> list[FoundMention]:
    """The entity mentions the pipeline marked in ``doc`` (pure: reads ``doc.spans``)."""
    labels = doc.user_data.get(MENTION_LABELS_KEY, {})
    text = doc.user_data.get(TEXT_KEY) or doc.text
    return [
        FoundMention(span.start_char, span.end_char, text[span.start_char:span.end_char], span.label_, span.kb_id_,
                     labels.get((span.start, span.end), text[span.start_char:span.end_char]))
        for span in doc.spans.get("kg_entities", ())
        if span.kb_id_
    ]


def mention_quads(
    mention: FoundMention, arxiv_id: str, context: str, context_key: str, iris: IriScheme
) -> Iterator[Quad]:
    """A mention as a NIF span: anchor, context, offsets, and ``itsrdf:taIdentRef`` to its concept."""
    g = iri(iris.paper_graph(arxiv_id))
    m = iri(iris.mention(arxiv_id, f"{context_key}-{mention.begin}-{mention.end}"))
    yield Quad(m, _TYPE, iri(KG.EntityMention), g)
    yield Quad(m, iri(NIF.anchorOf), literal(mention.text), g)
    yield Quad(m, iri(NIF.referenceContext), iri(context), g)
    yield Quad(m, iri(NIF.beginIndex), literal(str(mention.begin), datatype=XSD.nonNegativeInteger), g)
    yield Quad(m, iri(NIF.endIndex), literal(str(mention.end), datatype=XSD.nonNegativeInteger), g)
    yield Quad(m, iri(ITSRDF.taIdentRef), iri(iris.concept(mention.concept)), g)
    yield Quad(m, iri(ITSRDF.taClassRef), iri(KG[mention.entity_type]), g)


def concept_quads(concepts: Iterable[tuple[str, str, str]], iris: IriScheme) -> Iterator[Quad]:
    """Each concept once, in the shared concepts graph, from ``(key, type, label)`` of all its mentions.

    The type and label are the most frequent ones (ties: the smallest), other labels become
    ``skos:altLabel``: the result does not depend on the order the rows came in.
    """
    g = iri(iris.shared_graph(CONCEPTS_GRAPH))
    types: dict[str, Counter[str]] = {}
    labels: dict[str, Counter[str]] = {}
    for key, entity_type, label in concepts:
        types.setdefault(key, Counter())[entity_type] += 1
        labels.setdefault(key, Counter())[label] += 1

    def top(counter: Counter[str]) -> str:
        return min(counter, key=lambda value: (-counter[value], value))

    for key in sorted(types):
        label = top(labels[key])
        c = iri(iris.concept(key))
        yield Quad(c, _TYPE, iri(KG[top(types[key])]), g)
        yield Quad(c, _TYPE, iri(KG.ResearchEntity), g)
        yield Quad(c, iri(RDFS.label), literal(label), g)
        for other in sorted(set(labels[key]) - {label}):
            yield Quad(c, iri(SKOS.altLabel), literal(other), g)


MENTIONS_QUERY = (
    f"SELECT ?concept ?class ?anchor WHERE {{ ?mention a <{KG.EntityMention}> ; <{ITSRDF.taIdentRef}> ?concept ;"
    f" <{ITSRDF.taClassRef}> ?class ; <{NIF.anchorOf}> ?anchor . }}"
)


def concepts_from_mentions(
    rows: Iterable[tuple[str, str, str]], iris: IriScheme, nlp_name: str | None = None
) -> Iterator[Quad]:
    """The concepts graph recomputed from the mentions a store holds: ``(concept IRI, class IRI, anchor)`` rows.

    For an update that replaces some papers: run :data:`MENTIONS_QUERY` on the new version and replace
    the concepts graph with these quads; they equal what a full build writes, since a concept's type
    and label depend only on its mentions.
    """
    from kg.extract.nlp import load_pipeline

    ruler = load_pipeline(nlp_name).get_pipe("kg_entities")
    prefix = iris.concept("")
    records = []
    for concept, entity_class, anchor in rows:
        key = unquote(concept[len(prefix):]) if concept.startswith(prefix) else concept
        records.append((key, entity_class.rsplit("#", 1)[-1], ruler.display(anchor)))
    return concept_quads(records, iris)
