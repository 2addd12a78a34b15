"""Sentence boundaries for scientific text: abbreviations, citations, decimals, headings, bullets, captions."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span

SENTENCES_KEY = "kg_sentences"
_ENDERS = frozenset({".", "!", "?"})
_OPENERS = frozenset({"(", "[", '"', "“", "‘", "'"})
_BULLETS = frozenset({"•", "●", "▪", "◦", "·"})
_CAPTION = re.compile(r"^(?:Figure|Fig|Table|Tab|Algorithm|Listing)$")
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

    def _is_abbreviation(self, doc: Doc, i: int) -> bool:
        """Whether the token ``i`` (a full stop, or a word ending in one) closes an abbreviation or initial."""
        token = doc[i]
        text = token.lower_
        if text != "." and text.endswith("."):
            if token.text[:-1].isupper() and len(token.text) > 3:
                return False  # "EQ." ends a sentence; "Eq." does not
            return text in self.abbreviations or len(text) <= 2 or text.count(".") > 1
        if i == 0:
            return False
        prev = doc[i - 1]
        if prev.whitespace_:
            return False
        p = prev.lower_
        if p in self.stems and not (prev.text.isupper() and len(prev.text) > 1):
            return True
        # initials (T. B.) and single letters, but not numbers ("in 2023.")
        return len(p) == 1 and p.isalpha()

    def boundaries(self, doc: Doc) -> set[int]:
        """Token indices that open a sentence (pure: reads ``doc``, changes nothing)."""
        starts = {0} if len(doc) else set()
        n = len(doc)
        i = 0
        while i < n:
            token = doc[i]
            text = token.text
            if text == "#" or text in _BULLETS:
                starts.add(i)
                if text == "#":
                    end = self._heading_end(doc, i + 1)
                    if end is not None:
                        starts.add(end)
            elif _CAPTION.match(text) and i + 2 < n and doc[i + 1].like_num and doc[i + 2].text in {":", "."}:
                starts.add(i)
            elif (text in _ENDERS or (text.endswith(".") and len(text) > 1)) and i + 1 < n:
                j = i + 1
                while j < n and doc[j].text in {'"', "”", "’", ")", "]"} and not doc[j - 1].whitespace_:
                    j += 1
                if (
                    j < n and doc[j - 1].whitespace_ and _starts_like_sentence(doc[j].text)
                    and not (text.endswith(".") and self._is_abbreviation(doc, i))
                ):
                    starts.add(j)
            i += 1
        return starts

    def _heading_end(self, doc: Doc, i: int) -> int | None:
        """Index of the token that opens the running sentence after a ``#`` heading, if any."""
        n = len(doc)
        while i < n and _NUMBERING.match(doc[i].text):
            i += 1
        title_start = i
        while i < n and i - title_start < _MAX_HEADING:
            token = doc[i]
            text = token.text
            if text == "#" or text in _ENDERS:
                return None
            nxt = doc[i + 1] if i + 1 < n else None
            prev = doc[i - 1]
            if i > title_start and (text[0].isupper() or text[0].isdigit()) and (
                # "... Consistency In a dialogue": a capitalised function word opens the running sentence
                token.lower_ in _TITLE_GLUE
                # "... Evaluation Evaluating LLMs is": so does a gerund after a capitalised title word
                or (text.endswith("ing") and token.is_alpha and text[1:].islower() and prev.text[0].isupper())
                # a capitalised word followed by a lower-case content word
                or (nxt is not None and nxt.text[0].islower() and nxt.lower_ not in _TITLE_GLUE)
            ):
                return i
            i += 1
        return None
