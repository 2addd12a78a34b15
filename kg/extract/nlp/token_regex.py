"""spaCy token patterns compiled to one regular expression each, run over a string of the doc's tokens.

The claim cues are written as spaCy Matcher patterns (data, in ``kg/extract/patterns/claim_cues.jsonl``).
spaCy's Matcher tests every pattern at every token and calls Python for set predicates; on our cue
lexicon it cost about twenty times the tokenizer. Here each token becomes `` lower|norm|text|flags``
(flags: ``a`` alphabetic, ``p`` punctuation, ``n`` like a number, ``w``/``l`` a word or lower-case word) and each
pattern a regular expression over that string, so matching runs in the regex engine. The subset of the
pattern language supported is what the lexicon uses: ``TEXT``/``LOWER``/``NORM`` as a value, ``IN``,
``NOT_IN``; ``TEXT`` ``REGEX`` ``^[\\w-]+$`` and ``^[a-z-]+$``; ``IS_ALPHA``, ``IS_PUNCT``, ``LIKE_NUM``;
``OP`` ``?``, ``*``, ``+`` and ``{0,n}``. Anything else raises. Unlike the Matcher, each pattern reports non-overlapping
matches (leftmost, greedy), which is all a sentence-level decision needs.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from spacy.attrs import LOWER, NORM, ORTH
from spacy.tokens import Doc

_FIELD = "[^ |\n]*"
_BREAK = "\n"  # put before each sentence: no token regex matches it, so no match crosses a sentence
_WORD = re.compile(r"^[\w-]+$")
_LOWER_WORD = re.compile(r"^[a-z-]+$")
_TEXT_REGEXES = {_WORD.pattern: "w", _LOWER_WORD.pattern: "l"}
_FLAGS = {"IS_ALPHA": "a", "IS_PUNCT": "p", "LIKE_NUM": "n"}
_QUANTIFIERS = {"?": "?", "*": "*", "+": "+"}


def _clean(value: str) -> str:
    return value.replace(" ", "_").replace("\n", "_").replace("|", "¦") or "_"


def _values(spec: Any, key: str) -> str:
    if isinstance(spec, str):
        return "(?:" + re.escape(_clean(spec)) + ")"
    if isinstance(spec, dict) and set(spec) == {"IN"}:
        return "(?:" + "|".join(re.escape(_clean(v)) for v in sorted(spec["IN"], key=len, reverse=True)) + ")"
    if isinstance(spec, dict) and set(spec) == {"NOT_IN"}:
        alternatives = "|".join(re.escape(_clean(v)) for v in spec["NOT_IN"])
        return f"(?!(?:{alternatives})\\|){_FIELD}"
    raise ValueError(f"unsupported {key} constraint {spec!r}")


def token_regex(spec: dict[str, Any], *, norm_first: bool = False) -> str:
    """The regular expression of one token spec (without its quantifier), for either token string layout."""
    fields = {"TEXT": _FIELD, "LOWER": _FIELD, "NORM": _FIELD}
    lookaheads = []
    for key, value in spec.items():
        if key == "OP":
            continue
        if key in ("LOWER", "NORM"):
            fields[key] = _values(value, key)
        elif key == "TEXT":
            if isinstance(value, dict) and set(value) == {"REGEX"}:
                flag = _TEXT_REGEXES.get(value["REGEX"])
                if flag is None:
                    raise ValueError(f"unsupported TEXT regex {value['REGEX']!r}")
                lookaheads.append(f"(?=[a-z]*{flag})")
            else:
                fields["TEXT"] = _values(value, key)
        elif key in _FLAGS:
            lookaheads.append(f"(?{'=' if value else '!'}[a-z]*{_FLAGS[key]})")
        else:
            raise ValueError(f"unsupported token attribute {key!r}")
    first, second = ("NORM", "LOWER") if norm_first else ("LOWER", "NORM")
    return f" {fields[first]}\\|{fields[second]}\\|{fields['TEXT']}\\|{''.join(lookaheads)}[a-z]*"


def norm_first(pattern: list[dict[str, Any]]) -> bool:
    """Whether the pattern opens on a ``NORM`` constraint: it then runs on the norm-first token string."""
    return "NORM" in pattern[0] and "LOWER" not in pattern[0]


def pattern_regex(pattern: list[dict[str, Any]]) -> str:
    """One regular expression for a whole token pattern; the regex engine fails fast on the first field."""
    parts = []
    order = norm_first(pattern)
    for spec in pattern:
        body = token_regex(spec, norm_first=order)
        op = spec.get("OP")
        if op is None:
            parts.append(body)
        elif op in _QUANTIFIERS:
            parts.append(f"(?:{body}){_QUANTIFIERS[op]}")
        elif isinstance(op, str) and re.fullmatch(r"\{\d*,\d+\}", op):
            parts.append(f"(?:{body}){op}")
        else:
            raise ValueError(f"unsupported OP {op!r}")
    return "".join(parts) + "(?=[ \n]|$)"


def first_words(pattern: list[dict[str, Any]]) -> frozenset[str] | None:
    """The values one of which the pattern's first token must have (as lower form or norm), if it says so.

    A doc none of whose tokens has one of them cannot match: the matcher skips the pattern's scan.

    >>> sorted(first_words([{"LOWER": {"IN": ["we", "i"]}}, {"LOWER": "find"}]))
    ['i', 'we']
    >>> first_words([{"LIKE_NUM": True}, {"TEXT": "%"}]) is None
    True
    """
    spec = pattern[0]
    if spec.get("OP") not in (None, "+") or "TEXT" in spec:
        return None
    for key in ("LOWER", "NORM"):
        value = spec.get(key)
        if isinstance(value, str):
            return frozenset({value})
        if isinstance(value, dict) and set(value) == {"IN"}:
            return frozenset(value["IN"])
    return None


class TokenRegexMatcher:
    """Matches named token patterns over a doc: ``matcher(doc) -> [(key, start, end)]`` in token indices."""

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab
        self.patterns: list[tuple[str, re.Pattern[str], bool, frozenset[int] | None]] = []
        self._tokens: dict[int, tuple[str, str]] = {}

    def add(self, key: str, patterns: Iterable[list[dict[str, Any]]]) -> None:
        for pattern in patterns:
            first = first_words(pattern)
            hashes = None if first is None else frozenset(self.vocab.strings.add(word) for word in first)
            self.patterns.append((key, re.compile(pattern_regex(pattern)), norm_first(pattern), hashes))

    def __len__(self) -> int:
        return len(self.patterns)

    def _token(self, orth: int) -> tuple[str, str]:
        """`` lower|norm|text|flags`` of a lexeme (every part is a lexeme attribute, so one string per orth)."""
        lexeme = self.vocab[orth]
        raw = lexeme.orth_
        flags = (("a" if lexeme.is_alpha else "") + ("p" if lexeme.is_punct else "") + ("n" if lexeme.like_num else "")
                 + ("w" if _WORD.match(raw) else "") + ("l" if _LOWER_WORD.match(raw) else ""))
        lower, norm, text = _clean(lexeme.lower_), _clean(lexeme.norm_), _clean(raw)
        tokens = (f" {lower}|{norm}|{text}|{flags}", f" {norm}|{lower}|{text}|{flags}")
        self._tokens[orth] = tokens
        return tokens

    def _strings(self, doc: Doc, starts: Iterable[int]) -> tuple[str, str, list[int]]:
        """The two token strings of ``doc`` (lower first, norm first), a break before each sentence start,
        and where each token starts in them (the same in both: the two layouts have the same lengths)."""
        cache = self._tokens
        parts = [cache.get(orth) or self._token(orth) for orth in doc.to_array(ORTH).tolist()]
        for start in starts:
            if 0 < start < len(parts):
                lower, norm = parts[start]
                parts[start] = (_BREAK + lower, _BREAK + norm)
        offsets = [0, *accumulate(len(p[0]) for p in parts)][:-1]
        for start in starts:
            if 0 < start < len(parts):
                offsets[start] += 1
        return "".join(p[0] for p in parts), "".join(p[1] for p in parts), offsets

    def _positions(self, doc: Doc) -> dict[int, list[int]]:
        """Where each lower-case form and each norm occurs: hash -> token indices, in order."""
        positions: dict[int, list[int]] = {}
        for i, (lower, norm) in enumerate(doc.to_array([LOWER, NORM]).tolist()):
            positions.setdefault(lower, []).append(i)
            if norm != lower:
                positions.setdefault(norm, []).append(i)
        return positions

    def __call__(self, doc: Doc, starts: Iterable[int] = ()) -> list[tuple[str, int, int]]:
        """Matches in ``doc`` that do not cross any of the sentence ``starts`` (token indices).

        A pattern whose first token has a word list is tried only where one of those words is (the same
        leftmost, non-overlapping matches as a scan of the whole string); the others scan the string.
        """
        lower_string, norm_string, offsets = self._strings(doc, starts)
        positions = self._positions(doc)
        present = set(positions)
        found = []
        for key, regex, by_norm, first in self.patterns:
            string = norm_string if by_norm else lower_string
            if first is None:
                spans = [(m.start(), m.end()) for m in regex.finditer(string)]
            else:
                words = first & present
                if not words:
                    continue  # its first token cannot match: nothing to try
                hits = [positions[h] for h in words]
                candidates = hits[0] if len(hits) == 1 else sorted({i for hit in hits for i in hit})
                spans, reached = [], 0
                for i in candidates:
                    if offsets[i] < reached:
                        continue  # inside the previous match: matches do not overlap
                    m = regex.match(string, offsets[i])
                    if m:
                        spans.append((m.start(), m.end()))
                        reached = m.end()
            for begin, finish in spans:
                start = bisect.bisect_left(offsets, begin)
                end = bisect.bisect_left(offsets, finish)
                if end > start:
                    found.append((key, start, end))
        found.sort(key=lambda x: (x[1], x[2], x[0]))
        return found
