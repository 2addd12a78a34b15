"""Our spaCy components and registered functions; registration happens on import, in this one place.

Factories carry a ``kg_`` prefix; registered functions have versioned names (``kg.patterns.v1``).
Every component reads its rules from the JSON Lines files in ``kg/extract/patterns/``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy
import srsly
from spacy.attrs import IS_ALPHA, IS_PUNCT, LENGTH, LOWER
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, registry

from kg.extract.nlp.sentences import ScientificSentencizer, sentence_spans
from kg.extract.nlp.token_regex import TokenRegexMatcher

PATTERNS_PACKAGE = "kg.extract.patterns"
TEXT_KEY = "kg_text"
MENTION_LABELS_KEY = "kg_mention_labels"
ENTITY_TYPES = ("Method", "Task", "Metric", "Dataset", "OtherScientificTerm")


def span_text(span: Span) -> str:
    """A span's text, sliced from the caller's copy of the doc text when there is one (``Span.text`` joins tokens)."""
    text = span.doc.user_data.get(TEXT_KEY)
    return span.text if text is None else text[span.start_char:span.end_char]


@registry.misc("kg.patterns.v1")
def read_patterns(name: str) -> list[dict[str, Any]]:
    """The records of ``kg/extract/patterns/{name}.jsonl``."""
    path = resources.files(PATTERNS_PACKAGE).joinpath(f"{name}.jsonl")
    return list(srsly.read_jsonl(str(path)))


@registry.misc("kg.pattern_values.v1")
def read_pattern_values(name: str, key: str) -> list[str]:
    """One field of every record of a pattern file (for plain word lists)."""
    return [str(record[key]) for record in read_patterns(name)]


@lru_cache(maxsize=1)
def _inverse_lemma_table() -> dict[str, frozenset[str]]:
    """Every surface form of each lemma in spacy-lookups-data's English ``lemma_lookup`` table."""
    path = resources.files("spacy_lookups_data").joinpath("data", "en_lemma_lookup.json.gz")
    inverse: dict[str, set[str]] = {}
    for form, lemma in srsly.read_gzip_json(str(path)).items():
        inverse.setdefault(lemma.lower(), set()).add(form.lower())
    return {lemma: frozenset(forms) for lemma, forms in inverse.items()}


def lemma_forms(lemmas: Iterable[str]) -> list[str]:
    """The lower-case forms whose lemma is one of ``lemmas``, by the lookup table plus regular inflection.

    >>> {"outperformed", "outperforms", "found", "showed"} <= set(lemma_forms(["outperform", "find", "show"]))
    True

    Claim patterns are written with lemmas (``outperform``); see :func:`compile_lemmas` for how they match.
    """
    table = _inverse_lemma_table()
    forms: set[str] = set()
    for lemma in lemmas:
        lemma = lemma.lower()
        forms.add(lemma)
        forms.update(table.get(lemma, ()))
        stem = lemma[:-1] if lemma.endswith("e") else lemma
        forms.update({lemma + "s", lemma + "es", stem + "ed", stem + "ing", lemma + "d"})
        if lemma.endswith("y"):
            forms.update({lemma[:-1] + "ies", lemma[:-1] + "ied"})
    return sorted(forms)


def compile_lemmas(pattern: list[dict[str, Any]], vocab: Any) -> list[dict[str, Any]]:
    """A token pattern with each ``LEMMA`` constraint turned into a ``NORM`` one.

    The surface forms of each lemma (from the lookup table) get the lemma as their lexeme norm, once,
    in the vocabulary: matching then costs nothing per token, where a lemmatizer pass would.
    """
    compiled = []
    for spec in pattern:
        spec = dict(spec)
        lemma = spec.pop("LEMMA", None)
        if lemma is not None:
            lemmas = lemma["IN"] if isinstance(lemma, dict) else [lemma]
            for value in lemmas:
                for form in lemma_forms([value]):
                    for variant in {form, form.capitalize(), form.upper()}:
                        vocab[variant].norm_ = value
            spec["NORM"] = {"IN": list(lemmas)} if isinstance(lemma, dict) else lemma
        compiled.append(spec)
    return compiled


def expand_lexicons(pattern: list[dict[str, Any]], lexicons: dict[str, list[str]]) -> list[dict[str, Any]]:
    """A token pattern with each ``@name`` inside an ``IN``/``NOT_IN`` list replaced by the words of lexicon ``name``.

    >>> expand_lexicons([{"LOWER": {"IN": ["@metric", "irr"]}}], {"metric": ["accuracy", "rate"]})
    [{'LOWER': {'IN': ['accuracy', 'rate', 'irr']}}]
    """
    expanded = []
    for spec in pattern:
        spec = dict(spec)
        for key, value in spec.items():
            if not isinstance(value, dict):
                continue
            for op in ("IN", "NOT_IN"):
                words = value.get(op)
                if isinstance(words, list) and any(isinstance(w, str) and w.startswith("@") for w in words):
                    out: list[str] = []
                    for word in words:
                        if word.startswith("@"):
                            if word[1:] not in lexicons:
                                raise ValueError(f"claim cue pattern: unknown lexicon {word!r}")
                            out.extend(w for w in lexicons[word[1:]] if w not in out)
                        elif word not in out:
                            out.append(word)
                    spec[key] = {**value, op: out}
        expanded.append(spec)
    return expanded


def claim_cue_records(cues: list[dict[str, Any]], lexicons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claim cue records with their lexicon references (``"@metric_nouns"``) expanded."""
    table = {record["lexicon"]: [str(w) for w in record["words"]] for record in lexicons}
    records = []
    for record in cues:
        if "pattern" in record:
            record = {**record, "pattern": expand_lexicons(record["pattern"], table)}
        if "not_after" in record:
            record = {**record, "not_after": expand_lexicons([{"LOWER": {"IN": record["not_after"]}}], table)[0]
                      ["LOWER"]["IN"]}
        records.append(record)
    return records


Doc.set_extension("kg_names", default=None, force=True)
Span.set_extension("kg_claim", default=None, force=True)


@Language.factory("kg_sentencizer", assigns=["token.is_sent_start"], default_config={
    "abbreviations": {"@misc": "kg.pattern_values.v1", "name": "abbreviations", "key": "abbr"},
})
def make_sentencizer(nlp: Language, name: str, abbreviations: list[str]) -> ScientificSentencizer:
    return ScientificSentencizer(abbreviations)


# ---------------------------------------------------------------------------------------------
# Debris: table rows, figure residue, headings, captions, references
# ---------------------------------------------------------------------------------------------

_CAPTION = re.compile(r"^(?:Figure|Fig\.|Table|Tab\.|Algorithm|Listing)\s+[A-Z]?\d+[a-z]?\s*[:.]")
_REFERENCE = re.compile(r"(?:\b[A-Z][a-z'’-]+, (?:[A-Z]\.\s?)+,?){2,}|\(\d{4}[a-z]?\)\.(?!\s*$)|doi\.org|\barXiv:\d")
_DASH_RUN = re.compile(r"-{4,}|_{4,}|\.{5,}")


def _cumulative_counts(doc: Doc) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Running counts of words (alphabetic, longer than one letter but "a"/"I") and of non-punctuation tokens."""
    values = doc.to_array([IS_ALPHA, IS_PUNCT, LENGTH, LOWER]).reshape(-1, 4)
    strings = doc.vocab.strings
    single = (values[:, 2] == 1) & (values[:, 3] != strings["a"]) & (values[:, 3] != strings["i"])
    is_word = (values[:, 0] == 1) & ~single
    zero = numpy.zeros(1, dtype="int64")
    return numpy.concatenate([zero, numpy.cumsum(is_word)]), numpy.concatenate([zero, numpy.cumsum(values[:, 1] == 0)])


class DebrisFilter:
    """Marks sentences that can never hold a claim: ``doc.spans["kg_debris"]``.

    A sentence is debris when too few of its tokens are words (table rows, plots read by OCR),
    when it has fewer than ``min_words`` words, when it is a heading (``# ...``), a caption title
    (``Figure 3: ...``), a reference entry, or carries runs of dashes (``------FAILED------``).
    """

    def __init__(self, min_words: int, min_word_ratio: float) -> None:
        self.min_words = min_words
        self.min_word_ratio = min_word_ratio

    def is_debris(self, sent: Span, words: numpy.ndarray | None = None, tokens: numpy.ndarray | None = None) -> bool:
        """``words``/``tokens``: cumulative counts of word and non-punctuation tokens over the doc, if computed."""
        text = span_text(sent)
        if text.startswith("#") or _CAPTION.match(text) or _DASH_RUN.search(text) or _REFERENCE.search(text):
            return True
        if words is None or tokens is None:
            words, tokens = _cumulative_counts(sent.doc)
        n_words = int(words[sent.end] - words[sent.start])
        if n_words < self.min_words:
            return True
        return n_words / max(1, int(tokens[sent.end] - tokens[sent.start])) < self.min_word_ratio

    def __call__(self, doc: Doc) -> Doc:
        words, tokens = _cumulative_counts(doc)
        doc.spans["kg_debris"] = [s for s in sentence_spans(doc) if self.is_debris(s, words, tokens)]
        return doc


@Language.factory("kg_debris", requires=["token.is_sent_start"], assigns=["doc.spans"],
                  default_config={"min_words": 4, "min_word_ratio": 0.6})
def make_debris(nlp: Language, name: str, min_words: int, min_word_ratio: float) -> DebrisFilter:
    return DebrisFilter(min_words, min_word_ratio)


# ---------------------------------------------------------------------------------------------
# Research entities
# ---------------------------------------------------------------------------------------------

_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*s?)\)")
_SIZE = re.compile(r"[- ]?\d+(?:\.\d+)?[bBmM]\b")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_CONTINUES_NAME = re.compile(r"^(?:[A-Z0-9]|v\d)")
_VERSIONED = re.compile(r"^(.+?)[ -]([Vv]\d+(?:\.\d+)*)$")
_VERSION = re.compile(r"^[Vv]\d+(?:\.\d+)*$")  # "RLHF V3": a version after a space is part of the name
_MAX_NAME_PREFIX = 2  # capitalised words a name can grow by on its left ("Safety RLHF", "Meta Safety RLHF")
_MAX_MODIFIERS = 2  # listed modifiers a name can grow by on its left ("supervised safety fine-tuning")


def concept_key(name: str) -> str:
    """The normalised name of a concept: sizes dropped, case and separators folded.

    >>> concept_key("Llama 2-Chat 70B"), concept_key("llama-2-70b-chat"), concept_key("Two- shot CoT")
    ('llama-2-chat', 'llama-2-chat', 'two-shot-cot')
    """
    stripped = _SIZE.sub("", name) or name
    return re.sub(r"[^\w.@/]+|_", "-", stripped.casefold()).strip("-") or re.sub(r"\W+", "-", name.casefold())


_LINK_WORDS = frozenset({"of", "from", "for", "and", "the", "in", "on", "to", "with", "a"})


def long_form_start(words: list[str], abbr: str) -> int | None:
    """Where the long form of ``abbr`` starts among the ``words`` just before it, if their initials fit.

    >>> long_form_start(["we", "propose", "Ghost", "Attention"], "GAtt")
    2
    >>> long_form_start(["Reinforcement", "Learning", "from", "Human", "Feedback"], "RLHF")
    0
    >>> long_form_start(["the", "new", "thing"], "GAtt") is None
    True
    """
    letters = [c.lower() for c in abbr.rstrip("s") if c.isupper()] or [abbr[0].lower()]
    i = len(words) - 1
    k = len(letters) - 1
    skipped = 0
    while i >= 0 and k >= 0:
        word = words[i]
        if word[0].lower() == letters[k] and (word[0].isupper() or k == 0 or len(letters) <= 2):
            k -= 1
        elif word.lower() in _LINK_WORDS and k < len(letters) - 1:
            skipped += 1
        else:
            return None
        i -= 1
    return i + 1 if k < 0 and skipped <= 2 else None


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")


def plural_forms(gazetteer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records for the regular plural of each lower-case name the gazetteer lacks (``human evaluations``).

    >>> [r["pattern"] for r in plural_forms([{"pattern": "human evaluation", "label": "Method"}])]
    ['human evaluations']
    """
    names = {record["pattern"] for record in gazetteer}
    plurals = []
    for record in gazetteer:
        name = record["pattern"]
        if name != name.lower() or not name[-1].isalpha() or name.endswith("s"):
            continue
        plural = name[:-1] + "ies" if name.endswith("y") and name[-2:-1] not in tuple("aeiou") else name + "s"
        if plural not in names:
            plurals.append({**record, "pattern": plural, "id": record.get("id") or name})
    return plurals


@dataclass
class EntityRules:
    """The rules of :class:`EntityRuler`, built once from the pattern files."""

    gazetteer: list[dict[str, Any]]
    model_names: list[dict[str, Any]]
    canonical: dict[str, tuple[str, str]] = field(default_factory=dict)  # pattern id -> (label, canonical)


class EntityRuler:
    """Research entity mentions in ``doc.spans["kg_entities"]``: label = SciERC type, ``kb_id_`` = concept key.

    Four sources, longest match wins: the gazetteer (case-sensitive for names with capitals,
    case-insensitive otherwise), model-name-with-version patterns, abbreviations defined in the
    text (``Ghost Attention (GAtt)``: both get the long form's concept), and names the caller
    passes in ``doc._.kg_names`` (the paper's title and abstract names).
    """

    def __init__(self, nlp: Language, gazetteer: list[dict[str, Any]], model_names: list[dict[str, Any]],
                 not_name: Iterable[str] = (), modifiers: Iterable[str] = ()) -> None:
        self.not_name = frozenset(w.lower() for w in not_name)
        self.modifiers = frozenset(w.lower() for w in modifiers)
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.folded = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.info: dict[str, tuple[str, str]] = {}
        exact: dict[str, list[str]] = {}
        folded: dict[str, list[str]] = {}
        gazetteer = list(gazetteer) + plural_forms(gazetteer)
        for record in gazetteer:
            pattern, canonical, label = record["pattern"], record.get("id") or record["pattern"], record["label"]
            if label not in ENTITY_TYPES:
                raise ValueError(f"entity pattern {pattern!r}: label {label!r} is not one of {ENTITY_TYPES}")
            self.info[canonical] = (label, canonical)
            target = exact if any(c.isupper() for c in pattern) else folded
            target.setdefault(canonical, []).append(pattern)
        for matcher, table in ((self.exact, exact), (self.folded, folded)):
            for canonical, patterns in table.items():
                matcher.add(canonical, list(nlp.tokenizer.pipe(patterns)))
        self.by_name = {r["pattern"]: r.get("id") or r["pattern"] for r in gazetteer}
        self.by_folded = {r["pattern"].casefold(): r.get("id") or r["pattern"] for r in gazetteer}
        self.regexes = [(re.compile(r["regex"]), r["label"]) for r in model_names]

    def _known(self, text: str) -> tuple[str, str] | None:
        canonical = self.by_name.get(text) or self.by_folded.get(text.casefold())
        return self.info[canonical] if canonical else None

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for matcher in (self.exact, self.folded):
            for match_id, start, end in matcher(doc):
                canonical = doc.vocab.strings[match_id]
                label, _ = self.info[canonical]
                spans.append(Span(doc, start, end, label=label, kb_id=concept_key(canonical)))
        text = doc.user_data.get(TEXT_KEY) or doc.text  # the caller's copy: Doc.text joins every token
        for regex, label in self.regexes:
            for m in regex.finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="contract")
                if span is None or not len(span):
                    continue
                surface = text[span.start_char:span.end_char]
                known = self._known(_SIZE.sub("", surface).strip(" -"))
                spans.append(Span(doc, span.start, span.end, label=known[0] if known else label,
                                  kb_id=concept_key(known[1] if known else surface)))
        for m in _ABBREVIATION.finditer(text):
            abbr = m.group(1)
            before = text[max(0, m.start() - 120):m.start()]
            words = [(w.group(0), w.start()) for w in _WORD.finditer(before)]
            first = long_form_start([w for w, _ in words][-8:], abbr)
            if first is None:
                continue
            offset = max(0, m.start() - 120) + words[len(words) - min(8, len(words)) + first][1]
            long_form = text[offset:m.start()].rstrip()
            known = self._known(long_form) or self._known(abbr)
            label, canonical = known if known else ("OtherScientificTerm", long_form)
            for b, e in ((offset, offset + len(long_form)), (m.start(1), m.end(1))):
                span = doc.char_span(b, e, alignment_mode="contract")
                if span is not None and len(span):
                    spans.append(Span(doc, span.start, span.end, label=label, kb_id=concept_key(canonical)))
        for name, label, canonical in doc._.kg_names or ():
            for m in _name_pattern(name).finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="contract")
                if span is not None and len(span):
                    spans.append(Span(doc, span.start, span.end, label=label, kb_id=concept_key(canonical)))
        kept = [s for s in filter_spans(self._longest_names(doc, text, spans)) if not self._imperative(doc, s)]
        doc.spans["kg_entities"] = kept
        # each mention's display name depends on its own text only, so that a concept's label can be
        # recomputed from the mentions a store holds (see kg.extract.entities.concepts_from_mentions)
        doc.user_data[MENTION_LABELS_KEY] = {(s.start, s.end): self._display(s) for s in kept}
        return doc

    def _longest_names(self, doc: Doc, text: str, spans: list[Span]) -> list[Span]:
        """Matches grown to the longer name they sit in; ``filter_spans`` then keeps the longest.

        A mention inside a longer name is not a mention of the shorter one: two overlapping matches are one
        name (``safety reward`` + ``reward model``: ``safety reward model``, typed by the head, the last); a
        match continued by ``-`` and a capital or digit (``RLHF-V3``) or preceded by up to two capitalised words
        in the middle of a sentence (``our Safety RLHF``; at a sentence start only in a run-in label, ``Safety
        RLHF:``; never in debris, where capitals are table headers) is that longer name; a match glued by
        ``-`` to a lower-case word before it (``context-dialogue``) is a part of a compound, not a name. A
        version after a space (``RLHF V3``) is part of the name; so are up to two listed modifiers before it
        (``name_modifiers.jsonl``: ``safety context distillation``, ``pretrained language model``, at a sentence
        start and in debris too), except a lower-case modifier before an acronym (``safety RLHF`` is RLHF
        used for safety; ``Safety RLHF`` is a name).
        """
        if not spans:
            return spans
        starts = {sent.start for sent in sentence_spans(doc)}
        matched = {i for span in spans for i in range(span.start, span.end)}  # a name never absorbs another
        covered = set(matched)
        # in table rows and plot residue capitalised words are headers and legends, not parts of a name
        covered.update(i for sent in doc.spans.get("kg_debris", ()) for i in range(sent.start, sent.end))
        grown: list[Span] = []

        def joins(i: int, sentence_start: bool, grown_by: int = 0) -> bool:
            return (i >= 0 and grown_by < _MAX_NAME_PREFIX and (i in starts) == sentence_start and i not in covered
                    and self._joins_name(doc[i]))

        for span in spans:
            start, end = span.start, span.end
            while end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_ \
                    and not doc[end].whitespace_ and _CONTINUES_NAME.match(doc[end + 1].text):
                end += 2
            if start >= 2 and doc[start - 1].text == "-" and not doc[start - 1].whitespace_ \
                    and not doc[start - 2].whitespace_ and doc[start - 2].text.islower():
                continue
            if end < len(doc) and doc[end - 1].whitespace_ and _VERSION.match(doc[end].text):
                end += 1
            while start not in starts and joins(start - 1, sentence_start=False, grown_by=span.start - start):
                start -= 1
            # listed lower-case modifiers ("safety", "pretrained") belong to the name anywhere, debris included
            modifiers = 0
            while (modifiers < _MAX_MODIFIERS and start > 0 and start - 1 not in matched
                   and doc[start - 1].lower_ in self.modifiers and start not in starts
                   and (doc[start - 1].text[0].isupper() or not doc[span.start].text.isupper())):
                start -= 1
                modifiers += 1
            run_in_label = end < len(doc) and doc[end].text == ":"
            if run_in_label and start not in starts and joins(start - 1, sentence_start=True):
                start -= 1
            if (start, end) != (span.start, span.end):
                span = self._span(doc, text, start, end, span.label_)
            grown.append(span)
        grown.sort(key=lambda s: (s.start, s.end))
        merged: list[Span] = []
        for span in grown:
            last = merged[-1] if merged else None
            if last is not None and span.start < last.end < span.end and last.start < span.start:
                merged.append(self._span(doc, text, last.start, span.end, span.label_))
            merged.append(span)
        return merged

    @staticmethod
    def _imperative(doc: Doc, span: Span) -> bool:
        """A one-word name opening a sentence before ``that`` is a verb: ``Recall that ...``, not the metric."""
        return (len(span) == 1 and span.end < len(doc) and doc[span.end].lower_ == "that"
                and doc[span.start].is_sent_start is True)

    def _span(self, doc: Doc, text: str, start: int, end: int, label: str) -> Span:
        """A mention of the longer name ``doc[start:end]``: its concept is its own normalised text."""
        surface = text[doc[start].idx:doc[end - 1].idx + len(doc[end - 1])]
        label, canonical = self._known(surface) or (label, surface)
        return Span(doc, start, end, label=label, kb_id=concept_key(canonical))

    def _joins_name(self, token: Any) -> bool:
        """Whether a word just before a name is part of it: capitalised, alphabetic, not a stop word."""
        return token.is_alpha and len(token) > 1 and token.text[0].isupper() and token.lower_ not in self.not_name

    def _display(self, span: Span) -> str:
        return self.display(span_text(span))

    def display(self, surface: str) -> str:
        """A concept's display name from one mention's text: the gazetteer's name, else the text itself."""
        known = self._known(surface) or self._known(_SIZE.sub("", surface).strip(" -"))
        if known:
            return known[1]
        versioned = _VERSIONED.match(surface)  # "RLHF v3", "RLHF-V3": one display name, "RLHF-V3"
        if versioned and self._known(versioned.group(1)):
            return f"{self._known(versioned.group(1))[1]}-{versioned.group(2).upper()}"
        return " ".join(surface.split())


@Language.factory("kg_entities", assigns=["doc.spans"], default_config={
    "gazetteer": {"@misc": "kg.patterns.v1", "name": "entities"},
    "model_names": {"@misc": "kg.patterns.v1", "name": "model_names"},
    "not_name": {"@misc": "kg.pattern_values.v1", "name": "not_name_words", "key": "word"},
    "modifiers": {"@misc": "kg.pattern_values.v1", "name": "name_modifiers", "key": "word"},
})
def make_entities(nlp: Language, name: str, gazetteer: list[dict[str, Any]],
                  model_names: list[dict[str, Any]], not_name: list[str], modifiers: list[str]) -> EntityRuler:
    return EntityRuler(nlp, gazetteer, model_names, not_name, modifiers)


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------

CLAIM_TYPES = ("contribution", "result", "comparison", "finding")
_CUE_TYPE = {"CONTRIBUTION": "contribution", "CONTRIBUTION_WEAK": "contribution", "RESULT": "result",
             "COMPARISON": "comparison", "COMPARISON_WEAK": "comparison", "FINDING": "finding",
             "FINDING_WEAK": "finding"}
# which cue types the sentence when several match: a plain comparative ("more than") is the weakest
_PRIORITY = {"COMPARISON": 5, "RESULT": 4, "CONTRIBUTION": 3, "CONTRIBUTION_WEAK": 3, "FINDING": 2,
             "FINDING_WEAK": 2, "COMPARISON_WEAK": 1}
_CITATION = re.compile(r"\bet al\b|\(\s*[A-Z][A-Za-z-]+(?: and [A-Z][A-Za-z-]+)?,? \d{4}[a-z]?[;)]")
_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Uu]s)\b")
_WORD_LISTS = ("HEDGE", "NEGATION", "NEGATION_AUX", "CONCESSIVE", "CONCESSIVE_OPENING", "PURPOSE_OPENING",
               "HYPOTHETICAL", "SECOND_PERSON", "CONDITIONAL", "CLAUSE_OPENER", "RELATIVE")
_DISCOURSE_OPENERS = frozenset({"however", "moreover", "furthermore", "also", "still", "yet", "thus", "hence",
                                "but", "and", "so", "therefore", "finally", "overall", "importantly", "in", "addition"})


def _names_own_system(sent: Span, text: str) -> bool:
    """Whether the sentence names a system the paper introduces (its title's or abstract's ``called`` names)."""
    return any(label == "Method" and _name_pattern(name).search(text) for name, label, _ in sent.doc._.kg_names or ())


def _in_parentheses(sent: Span, token_index: int) -> bool:
    """Whether a token sits inside brackets (asides and examples: "(e.g., John achieved a top score)")."""
    if not any(bracket in span_text(sent) for bracket in "(["):
        return False
    depth = 0
    for token in sent.doc[sent.start:token_index]:
        if token.text in ("(", "["):
            depth += 1
        elif token.text in (")", "]") and depth:
            depth -= 1
    return depth > 0


@dataclass(frozen=True)
class ClaimCue:
    """One claim decision for a sentence: its type, polarity, hedging, the cue tokens and a confidence."""

    claim_type: str
    negated: bool
    hedged: bool
    confidence: float
    cue_start: int
    cue_end: int
    cue_id: str
    relation: str | None = None


class ClaimMatcher:
    """Claim sentences in ``doc.spans["kg_claims"]`` (label = claim type, ``span._.kg_claim`` = :class:`ClaimCue`).

    The cues are spaCy Matcher token patterns, run by :class:`TokenRegexMatcher` (same matches, several
    times faster on this lexicon) over the non-debris sentences.

    A sentence is a claim when it holds a claim cue from the lexicon and no veto: it is not debris,
    holds no future-work, roadmap, description or set-up cue (``NONCLAIM``; comparisons, measured results
    and cues marked ``overrides_veto`` beat these), and is not background (a citation before the cue, or a
    ``BACKGROUND`` cue such as ``have demonstrated``, with no first person). Weak contribution cues (``we
    present``) count only in abstracts (``doc.user_data["kg_abstract"]``). Word lists (no pattern) give
    hedging, negation scoped to the cue's clause, concessive clause markers and hypothetical modals.
    """

    def __init__(self, nlp: Language, cues: list[dict[str, Any]], lexicons: list[dict[str, Any]] = ()) -> None:
        self.matcher = TokenRegexMatcher(nlp.vocab)
        self.relations: dict[str, str] = {}
        self.words: dict[str, frozenset[str]] = {label: frozenset() for label in _WORD_LISTS}
        self.negation_after: dict[str, frozenset[str]] = {}  # "not" is negation only after an auxiliary
        self.overrides_veto: set[str] = set()  # cue ids that a set-up/description veto does not beat
        self.yields_to_veto: set[str] = set()  # comparison/result cue ids that a veto beats (a metric's name)
        self.not_after: dict[str, frozenset[str]] = {}  # cue id -> words that must not come right before it
        self.beats_overrides: set[str] = set()  # veto ids that also beat ``overrides_veto`` cues (procedure steps)
        self.after_entity: set[str] = set()  # cue ids that count only right after an entity mention ("GPT-4 learns")
        self.soft_vetoes: set[str] = set()  # veto ids that beat only cues marked yields_to_veto
        for record in claim_cue_records(cues, list(lexicons)):
            if "words" in record:  # single-word cues are looked up per candidate sentence, not matched
                words = {w.lower() for w in record["words"]}
                self.words[record["label"]] = self.words.get(record["label"], frozenset()) | words
                if "after" in record:
                    for word in words:
                        self.negation_after[word] = frozenset(a.lower() for a in record["after"])
                continue
            self.matcher.add(f"{record['label']}|{record['id']}", [compile_lemmas(record["pattern"], nlp.vocab)])
            if record.get("relation"):
                self.relations[record["id"]] = record["relation"]
            if record.get("overrides_veto"):
                self.overrides_veto.add(record["id"])
            if record.get("yields_to_veto"):
                self.yields_to_veto.add(record["id"])
            if record.get("beats_overrides"):
                self.beats_overrides.add(record["id"])
            if record.get("after_entity"):
                self.after_entity.add(record["id"])
            if record.get("soft_veto"):
                self.soft_vetoes.add(record["id"])
            if record.get("not_after"):
                self.not_after[record["id"]] = frozenset(w.lower() for w in record["not_after"])
        self.topic_nouns = frozenset(w for r in lexicons if r["lexicon"] == "topic_nouns" for w in r["words"])
        self.adverbs = frozenset(w for r in lexicons if r["lexicon"] == "frequency_adverbs" for w in r["words"])
        self.opening_markers = self.words["CONCESSIVE_OPENING"] | self.words["PURPOSE_OPENING"]
        self.clause_markers = self.words["CONCESSIVE"] | self.opening_markers
        self.negations = self.words["NEGATION"] | self.words["NEGATION_AUX"]

    def decide(self, sent: Span, matches: list[tuple[str, str, int, int]], abstract: bool) -> ClaimCue | None:
        """The claim decision for one sentence from its cue matches (pure)."""
        text = span_text(sent)
        if text.rstrip().endswith("?"):
            return None  # a question asserts nothing
        doc = sent.doc
        matches = [m for m in matches if not _in_parentheses(sent, m[2]) and not (
            m[1] in self.not_after and m[2] > sent.start and doc[m[2] - 1].lower_ in self.not_after[m[1]])]
        if any(m[0] == "REMINDER" and (doc[m[2]].text[0].isupper() or doc[m[2]].lower_ == "we") for m in matches):
            return None  # "Recall that ...", "we reiterate that ...": restates, asserts nothing new
        if self.garbled(sent):
            return None  # two columns read across: "The Earth However, there were also some is an oblate ..."
        lowers = {t.lower_ for t in sent}
        first_person = bool(_FIRST_PERSON.search(text))
        if not first_person and lowers & self.words["SECOND_PERSON"]:
            return None  # "I need your help", "you can ...": chat or model output quoted in the paper, not the authors
        # a cue right after "where"/"if" states a condition ("keep the output only where it gets a better score")
        matches = [m for m in matches if m[0] not in _CUE_TYPE or doc[m[2]].lower_ == "we" or not any(
            doc[i].lower_ in self.words["CONDITIONAL"] for i in range(max(sent.start, m[2] - 2), m[2]))]
        if any(m[1] in self.after_entity for m in matches):  # "Llama 2-Chat swiftly learns to": a subject named
            ends = {e.end for e in doc.spans.get("kg_entities", ())
                    if e.label_ == "Method" and sent.start <= e.start and e.end <= sent.end}

            def named_subject(start: int) -> bool:  # the name, then at most two adverbs ("quickly", "often")
                for _ in range(3):
                    if start in ends:
                        return True
                    before = doc[start - 1] if start > sent.start else None
                    if before is None or not (before.is_lower and (before.lower_.endswith("ly")
                                                                   or before.lower_ in self.adverbs)):
                        return False
                    start -= 1
                return False

            matches = [m for m in matches if m[1] not in self.after_entity or named_subject(m[2])]
        # "will usually have lower scores": a generic statement about a kind of thing, not a result of this paper
        generic = [(b, e) for label, _, b, e in matches if label == "GENERIC"]
        if generic:
            matches = [m for m in matches if m[0] not in _CUE_TYPE or not any(b <= m[2] <= e + 1 for b, e in generic)]
        # "as illustrated in Figure 29 in the appendix": a pointer to evidence, not a roadmap veto
        pointers = [(b, self.clause_end(sent, e)) for label, _, b, e in matches if label == "POINTER"]
        if pointers:
            matches = [m for m in matches if not (m[0] == "NONCLAIM" and any(b <= m[2] < e for b, e in pointers))]
        purposes = [(b, e) for label, _, b, e in matches if label == "PURPOSE"]
        if purposes:  # "to facilitate future research" is a purpose, not a future-work veto
            matches = [m for m in matches if not (m[0] == "NONCLAIM" and any(b <= m[2] < e for b, e in purposes))]
        if any(m[1] in self.soft_vetoes for m in matches) and any(
                m[0] in _CUE_TYPE and m[1] not in self.yields_to_veto for m in matches):
            # a passive set-up verb ("a system message was added") vetoes only a cue that yields to vetoes
            # (a bare statistic); "the model becomes more conservative as data is added" stays a claim
            matches = [m for m in matches if m[1] not in self.soft_vetoes]
        labels = {label for label, *_ in matches}
        if "NONCLAIM" in labels:
            # a veto does not beat a comparison, a measured result or an evaluation ("demonstrated enhancements")
            procedure = any(m[0] == "NONCLAIM" and m[1] in self.beats_overrides for m in matches)
            strong = [m for m in matches if (m[0] in {"COMPARISON", "RESULT"} and m[1] not in self.yields_to_veto)
                      or (m[1] in self.overrides_veto and not procedure)]
            if not strong:
                return None
        if "BACKGROUND" in labels and not first_person and not _names_own_system(sent, text):
            return None  # "LLMs have demonstrated remarkable abilities": what the field established, not this paper
        if not first_person and any(m[0] in ("FINDING_WEAK", "COMPARISON_WEAK") for m in matches):
            entities = sent.doc.spans.get("kg_entities", ())
            has_entity = any(sent.start <= e.start and e.end <= sent.end for e in entities)
            has_topic = any(t.lower_ in self.topic_nouns for t in sent)
        else:
            has_entity = has_topic = True
        typed = [
            m for m in matches if m[0] in _CUE_TYPE
            and (m[0] != "CONTRIBUTION_WEAK" or abstract)
            and (m[0] not in ("FINDING_WEAK", "COMPARISON_WEAK") or first_person or has_entity or has_topic)
        ]
        if not typed:
            return None
        other_clauses = self.other_clauses(sent) if lowers & self.clause_markers else []
        opening = [(b, e) for b, e in other_clauses if doc[b].lower_ in self.opening_markers]
        if opening:  # "To show that X is robust, we ...", "As the reward increases, we ...": the main clause asserts
            typed = [m for m in typed if not any(b <= m[2] < e for b, e in opening)]
            if not typed:
                return None

        def hypothetical(m: tuple[str, str, int, int]) -> bool:  # "we would achieve high scores"
            return any(doc[i].lower_ in self.words["HYPOTHETICAL"] for i in range(max(sent.start, m[2] - 2), m[2]))

        # the main clause carries the claim: a cue inside "Even though we do not see ..., " comes last,
        # then a hypothetical one
        label, cue_id, start, end = max(typed, key=lambda m: (
            not any(b <= m[2] < e for b, e in other_clauses), not hypothetical(m), self.priority(m), -m[2]))
        citation = _CITATION.search(text)
        if citation and not first_person and citation.start() < sent.doc[start].idx - sent.start_char:
            return None  # background: the cited work is what asserts it
        claim_type = _CUE_TYPE[label]
        hedged = bool(lowers & self.words["HEDGE"])
        negated = (claim_type in {"finding", "result", "comparison"} and bool(lowers & self.negations)
                   and self.is_negated(sent, start, other_clauses))
        confidence = {"comparison": 0.85, "result": 0.8, "contribution": 0.8, "finding": 0.7}[claim_type]
        confidence += 0.05 * min(2, len({m[1] for m in typed}) - 1)
        confidence += 0.05 if abstract else 0.0
        confidence -= 0.15 if hedged else 0.0
        return ClaimCue(claim_type, negated, hedged, round(min(confidence, 0.95), 2), start, end, cue_id,
                        self.relations.get(cue_id))

    @staticmethod
    def clause_end(sent: Span, start: int) -> int:
        """The token after the clause that goes on from ``start``: the next ``,;:`` or the sentence end."""
        doc = sent.doc
        return next((j for j in range(start, sent.end) if doc[j].text in (",", ";", ":")), sent.end)

    def garbled(self, sent: Span) -> bool:
        """Whether the sentence runs two texts together: a capitalised clause opener (``However``) right after
        a word in mid-sentence, with no punctuation between (two columns of a PDF read across)."""
        openers = self.words["CLAUSE_OPENER"]
        doc = sent.doc
        for i in range(sent.start + 1, sent.end):
            token = doc[i]
            if token.lower_ in openers and token.text[0].isupper() and doc[i - 1].is_alpha and i + 1 < sent.end \
                    and doc[i + 1].text == ",":
                return True
        return False

    def priority(self, m: tuple[str, str, int, int]) -> float:
        """How strongly a cue types the sentence; a comparison cue that only names a metric (``win rate``)
        comes after a measured result (``has a win rate of 36%`` is a result)."""
        if m[0] == "COMPARISON" and m[1] in self.yields_to_veto:
            return _PRIORITY["RESULT"] - 0.5
        return _PRIORITY[m[0]]

    def other_clauses(self, sent: Span) -> list[tuple[int, int]]:
        """Token ranges ``[start, end)`` of concessive or adverbial clauses: the marker up to the next ``,;:``.

        ``although``/``though``/``whereas`` anywhere; ``as``/``since``/``if``/``even``/... and a purpose's ``to``
        only when they open the sentence (after discourse adverbs such as ``However,``).
        """
        doc = sent.doc
        clauses: list[tuple[int, int]] = []
        opening = True  # still before the first word of the main clause
        for i in range(sent.start, sent.end):
            lower = doc[i].lower_
            if lower in self.words["CONCESSIVE"] or (opening and lower in self.opening_markers):
                end = next((j for j in range(i + 1, sent.end) if doc[j].text in (",", ";", ":")), sent.end)
                if end < sent.end or lower in self.words["CONCESSIVE"]:  # no comma: where it ends is unknown
                    clauses.append((i, end))
            if not (doc[i].is_punct or lower in _DISCOURSE_OPENERS):
                opening = False
        return clauses

    def is_negated(self, sent: Span, cue_start: int, other_clauses: list[tuple[int, int]]) -> bool:
        """Whether the clause of the cue is negated (pure).

        A negation word in another clause than the cue's does not count (``Although we do not present
        figures, this adjustment demonstrated ...``). ``not`` counts only right after an auxiliary (``did
        not``, ``have not yet``), so a reduced relative (``a feature not previously reported``,
        ``constraints not present in``) does not negate the claim.
        """
        doc = sent.doc
        scoped_out = [(b, e) for b, e in other_clauses if not b <= cue_start < e]
        # a relative clause after the cue is another clause too ("... where datasets were not available")
        end = next((i for i in range(cue_start + 1, sent.end) if doc[i].lower_ in self.words["RELATIVE"]), sent.end)
        for i in range(sent.start, end):
            lower = doc[i].lower_
            if any(b <= i < e for b, e in scoped_out):
                continue
            if lower in self.words["NEGATION"]:
                return True
            if lower in self.words["NEGATION_AUX"]:
                before = {doc[j].lower_ for j in range(max(sent.start, i - 2), i)}
                if before & self.negation_after.get(lower, frozenset()):
                    return True
        return False

    def __call__(self, doc: Doc) -> Doc:
        abstract = bool(doc.user_data.get("kg_abstract"))
        debris = {(s.start, s.end) for s in doc.spans["kg_debris"]} if "kg_debris" in doc.spans else set()
        by_sentence: dict[int, list[tuple[str, str, int, int]]] = {}
        sent_of: dict[int, Span] = {}
        for sent in sentence_spans(doc):
            if (sent.start, sent.end) in debris:
                continue
            sent_of[sent.start] = sent
        starts = sorted(sent_of)
        for key, start, end in self.matcher(doc, [s.start for s in sentence_spans(doc)]):
            i = bisect.bisect_right(starts, start) - 1
            if i < 0:
                continue
            sent = sent_of[starts[i]]
            if end > sent.end:
                continue
            label, cue_id = key.split("|", 1)
            by_sentence.setdefault(sent.start, []).append((label, cue_id, start, end))
        claims = []
        for key, matches in sorted(by_sentence.items()):
            sent = sent_of[key]
            cue = self.decide(sent, matches, abstract)
            if cue is None:
                continue
            span = Span(doc, sent.start, sent.end, label=cue.claim_type)
            span._.kg_claim = cue
            claims.append(span)
        doc.spans["kg_claims"] = claims
        return doc


@Language.factory("kg_claims", requires=["token.is_sent_start"], assigns=["doc.spans"],
                  default_config={"cues": {"@misc": "kg.patterns.v1", "name": "claim_cues"},
                                  "lexicons": {"@misc": "kg.patterns.v1", "name": "claim_lexicons"}})
def make_claims(nlp: Language, name: str, cues: list[dict[str, Any]], lexicons: list[dict[str, Any]]) -> ClaimMatcher:
    return ClaimMatcher(nlp, cues, lexicons)


def pattern_names() -> Iterable[str]:
    """The pattern files the pipeline reads."""
    return ("abbreviations", "claim_cues", "claim_lexicons", "entities", "model_names", "name_modifiers",
            "not_name_words")
