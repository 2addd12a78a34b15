"""Sentence boundaries for scientific text: abbreviations, citations, decimals, headings, bullets, captions."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy
from spacy.attrs import ORTH, SENT_START, SPACY
from spacy.tokens import Doc, Span

SENTENCES_KEY = "kg_sentences"
_ENDERS = frozenset({".", "!", "?"})
_OPENERS = frozenset({"(", "[", '"', "“", "‘", "'"})
_BULLETS = frozenset({"•", "●", "▪", "◦", "·"})
_CAPTION_WORDS = frozenset({"Figure", "Fig", "Table", "Tab", "Algorithm", "Listing"})
_MARKS = frozenset(".!?#")
_TITLE_GLUE = frozenset({
    "a", "an", "the", "of", "for", "and", "or", "in", "on", "to", "with", "from", "by", "at", "as", "vs", "via",
    "&", "-", ":", ",", "/", "+",
})
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z](?:\.\d+)*\.?|[IVX]+\.?)$")
# heading words that commonly open a heading's running sentence ("Evaluating LLMs is ...")
_MAX_HEADING = 14


def sentence_spans(doc: Doc) -> list[Span]:
    """The doc's sentences: from our sentencizer's list when it ran (``doc.sents`` is slow), else ``doc.sents``."""
    bounds = doc.user_data.get(SENTENCES_KEY)
    if bounds is None:
        return list(doc.sents)
    return [doc[start:end] for start, end in bounds]


def _starts_like_sentence(text: str) -> bool:
    first = text[0]
    return first.isupper() or first.isdigit() or first in _OPENERS or first in _BULLETS or first == "#"


class ScientificSentencizer:
    """Sets ``is_sent_start`` on every token, with rules made for papers rather than news text.

    A sentence ends at ``.``, ``!`` or ``?`` followed by a capital, a digit, a bracket or a heading mark,
    unless the full stop closes an abbreviation from the lexicon (``et al.``, ``e.g.``, ``Fig.``) or an
    initial (``T. B. Hashimoto``). A heading mark ``#`` always opens a sentence, and the heading's title
    (numbering, then capitalised words and function words) becomes a sentence of its own. Bullets and
    ``Figure N:`` / ``Table N:`` captions open sentences.
    """

    def __init__(self, abbreviations: Iterable[str]) -> None:
        self.abbreviations = frozenset(a.lower() for a in abbreviations)
        self.stems = frozenset(a[:-1] for a in self.abbreviations if a.endswith("."))

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        values = numpy.full((len(doc), 1), -1, dtype="int64")
        starts = sorted(self.boundaries(doc))
        values[starts, 0] = 1
        doc.user_data[SENTENCES_KEY] = list(zip(starts, [*starts[1:], len(doc)], strict=True))
        # one array write: setting token.is_sent_start one token at a time rescans the doc each time
        doc.from_array([SENT_START], values.astype("uint64"))
        return doc

    def _is_abbreviation(self, texts: list[str], spaces: list[bool], i: int) -> bool:
        """Whether the token ``i`` (a full stop, or a word ending in one) closes an abbreviation or initial."""
        raw = texts[i]
        text = raw.lower()
        if text != "." and text.endswith("."):
            if raw[:-1].isupper() and len(raw) > 3:
                return False  # "EQ." ends a sentence; "Eq." does not
            return text in self.abbreviations or len(text) <= 2 or text.count(".") > 1
        if i == 0 or spaces[i - 1]:
            return False
        prev = texts[i - 1]
        p = prev.lower()
        if p in self.stems and not (prev.isupper() and len(prev) > 1):
            return True
        # initials (T. B.) and single letters, but not numbers ("in 2023.")
        return len(p) == 1 and p.isalpha()

    def boundaries(self, doc: Doc) -> set[int]:
        """Token indices that open a sentence (pure: reads ``doc``, changes nothing)."""
        strings = doc.vocab.strings
        texts = [strings[h] for h in doc.to_array(ORTH).tolist()]
        spaces = [bool(x) for x in doc.to_array(SPACY).tolist()]
        n = len(texts)
        starts = {0} if n else set()
        candidates = [i for i, t in enumerate(texts) if t[-1] in _MARKS or t in _BULLETS or t in _CAPTION_WORDS]
        for i in candidates:
            text = texts[i]
            if text == "#" or text in _BULLETS:
                starts.add(i)
                if text == "#":
                    end = self._heading_end(texts, i + 1)
                    if end is not None:
                        starts.add(end)
            elif text in _CAPTION_WORDS:
                if i + 2 < n and texts[i + 1][0].isdigit() and texts[i + 2] in {":", "."}:
                    starts.add(i)
            elif (text in _ENDERS or (text.endswith(".") and len(text) > 1)) and i + 1 < n:
                j = i + 1
                while j < n and texts[j] in {'"', "”", "’", ")", "]"} and not spaces[j - 1]:
                    j += 1
                if (
                    j < n and spaces[j - 1] and _starts_like_sentence(texts[j])
                    and not (text.endswith(".") and self._is_abbreviation(texts, spaces, i))
                ):
                    starts.add(j)
        return starts

    def _heading_end(self, texts: list[str], i: int) -> int | None:
        """Index of the token that opens the running sentence after a ``#`` heading, if any."""
        n = len(texts)
        while i < n and _NUMBERING.match(texts[i]):
            i += 1
        title_start = i
        while i < n and i - title_start < _MAX_HEADING:
            text = texts[i]
            if text == "#" or text in _ENDERS:
                return None
            nxt = texts[i + 1] if i + 1 < n else None
            prev = texts[i - 1]
            if i > title_start and (text[0].isupper() or text[0].isdigit()) and (
                # "... Consistency In a dialogue": a capitalised function word opens the running sentence
                text.lower() in _TITLE_GLUE
                # "... Evaluation Evaluating LLMs is": so does a gerund after a capitalised title word
                or (text.endswith("ing") and text.isalpha() and text[1:].islower() and prev[0].isupper())
                # a capitalised word followed by a lower-case content word
                or (nxt is not None and nxt[0].islower() and nxt.lower() not in _TITLE_GLUE)
            ):
                return i
            i += 1
        return None
