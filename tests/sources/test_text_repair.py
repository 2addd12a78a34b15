"""Text repair's shortcut around ftfy gives exactly what ftfy gives, on real, broken and random text."""

from __future__ import annotations

import itertools
import re

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.sources import text
from kg.sources.text import _BAD_REACH, _BAD_SPOT, _CONTROL, _FTFY, _LONE_BAD, _ftfy_would_change, repair


def ftfy_repair(value: str) -> str:
    """What ``repair`` returned before the shortcut: ftfy on every string that may hold mojibake."""
    if value.isascii() or not text._MAYBE_MOJIBAKE.search(value):
        return _CONTROL.sub("", value)
    return _CONTROL.sub("", ftfy.fix_text(value, _FTFY))


def _sre_parser():
    parser = getattr(re, "_parser", None)
    if parser is None:  # pragma: no cover - Python < 3.11
        import sre_parse as parser
    return parser


def test_the_badness_pattern_is_as_short_and_as_non_ascii_as_the_shortcut_assumes():
    assert _sre_parser().parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1] < _BAD_REACH
    for name, chars in MOJIBAKE_CATEGORIES.items():
        assert not [c for c in map(chr, range(128)) if re.fullmatch(f"[{chars}]", c)], name
    assert not BADNESS_RE.flags & re.MULTILINE


def test_the_checks_look_for_no_character_the_shortcut_leaves_out():
    plain = text._PLAIN_ASCII.decode("ascii")
    for pattern in (text._SUSPECT, text._MAYBE_MOJIBAKE, text._FTFY_EDITS, text._CONTROL):
        assert not [c for c in plain if pattern.match(c)], pattern.pattern
    assert text._unusual("caf\u00e9 \x00\t\u2019s\n") == "\u00e9\x00\u2019"
    assert text._unusual("lone \ud800 surrogate") == "lone \ud800 surrogate"


def _chars_of(item) -> set[str] | None:
    """The characters one parsed item matches, when it is a plain character or set; else None."""
    parser = _sre_parser()
    op, av = item
    if op is parser.LITERAL:
        return {chr(av)}
    if op is not parser.IN:
        return None
    chars: set[str] = set()
    for kind, value in av:
        if kind is parser.LITERAL:
            chars.add(chr(value))
        elif kind is parser.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # a negated set or a category (\s, \w): may hold ASCII
            return None
    return chars


def test_every_badness_alternative_needs_a_spot_the_shortcut_searches_around():
    parser = _sre_parser()
    (op, (_, branches)), = parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert op is parser.BRANCH and len(branches) > 30
    lone_bad = set(re.findall(f"[{_LONE_BAD}]", "".join(map(chr, range(0x10000)))))
    for branch in branches:
        items = [_chars_of(item) for item in branch]
        non_ascii = [chars is not None and min(chars) >= "\x80" for chars in items]
        pair = any(a and b for a, b in itertools.pairwise(non_ascii))
        lone = any(chars is not None and chars <= lone_bad for chars in items)
        assert pair or lone, branch
    # ... and the spot pattern finds exactly those spots
    assert _BAD_SPOT.search("caf\u00e9 \u00b1 2") is None
    assert [_BAD_SPOT.search(v) is not None for v in ("\u00e9\u00b1", "\u0153 ", "\u00c3 ", "a\u0085")] == [True] * 4


BROKEN = [
    "caf\u00c3\u00a9 au lait",                       # UTF-8 read as Latin-1
    "it\u00e2\u20ac\u2122s \u00e2\u20ac\u201cdone\u00e2\u20ac\u009d",  # Windows-1252 smart quotes
    "voil\u00c3 le travail",                         # a lost \xa0
    "first line\n\u00c3 at the start of a line",    # ``^`` at a line start
    "\u00c3 at the very start",
    "a \u00e2\u0080\u0094 b",                        # C1 controls
    "na\u00efve r\u00e9sum\u00e9 \u00b1 2 \u00b0C, \u00b5m",  # real accents and symbols: left alone
    "e\u0301 not NFC",                               # ftfy normalises
    "bom\ufeff inside",                              # one of ftfy's control characters
    "esc \x1b[31mred\x1b[0m",
    "\u221a\u00a9 MacRoman",
    "Stra\u00dfe " * 300 + "caf\u00c3\u00a9",         # mojibake far from the first accent
    "x" * 9000 + " caf\u00c3\u00a9 " + "\u00e9" * 5,  # past the cache's length
    "\u00e9" + "a" * 20 + "\u00c3\u00a9",
    "\u00d8\u00a7\u00d9\u201e\u00d8\u00b9",             # Arabic read as Windows-1252 (four characters)
    "OpenAI\u2019s plugins\u2021\u2021 has incited",      # footnote marks: look bad, nothing to fix
    "see \u00a7\u00a7 4 and \u00b0\u00b0 \u2018 9 there",
    "caf\u00e9 \u2021\u2021 and \u00e8 \u00a7\u00a7",      # ... beside letters that may start UTF-8
    "plugins\u2021\u2021 ok\ncaf\u00c3\u00a9 on the next line",
    "plugins\u2021\u2021 ok\nand \u00a7\u00a7 on the next line\n",
]


@pytest.mark.parametrize("value", BROKEN)
def test_repair_matches_ftfy_on_broken_and_accented_text(value):
    assert repair(value) == ftfy_repair(value)


def test_repair_matches_ftfy_on_every_text_of_the_sample(sample_rows):
    values = [v for row in sample_rows for v in row.values() if isinstance(v, str)]
    assert any(not v.isascii() for v in values)
    for value in values:
        assert repair(value) == ftfy_repair(value)


def test_footnote_marks_that_look_bad_but_decode_to_nothing_skip_ftfy():
    for value in (
        "OpenAI\u2019s plugins\u2021\u2021 has incited " * 20,
        "open issues. \u2021\u2021https://x.org\nand \u00e9 on the next line",
    ):
        assert ftfy.badness.is_bad(value)
        assert not _ftfy_would_change(value)
        assert ftfy.fix_text(value, _FTFY) == value


def test_plain_accented_text_skips_ftfy():
    assert not _ftfy_would_change("na\u00efve r\u00e9sum\u00e9 \u00b1 2 \u00b0C " * 50)
    assert _ftfy_would_change("na\u00efve " * 50 + "caf\u00c3\u00a9")


MOJIBAKE_CHARS = "".join(MOJIBAKE_CATEGORIES.values()).replace("-", "")
ALPHABET = st.sampled_from(list("ab Z.,!?\n\t1\u00a0") + list(MOJIBAKE_CHARS[:400]) + ["\u00c3", "\u00c2", "\u221a"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, min_size=1, max_size=40).map("".join))
def test_repair_matches_ftfy_on_random_mixtures(value):
    text._repair_cached.cache_clear()
    assert repair(value) == ftfy_repair(value)
    assert text._fix(value) == _CONTROL.sub("", ftfy.fix_text(value, _FTFY))


PDF_TEXT = st.sampled_from(
    list("ab Z.,;()9\n")
    + list("\u2019\u2018\u201c\u201d\u2014\u2013\u2022\u00b0\u00b1\u00a9\u00a7\u2021\u2020\u2248\u20ac")
    + list("\u00e8\u00e9\u00fc\u00c3\u00c2\u00a0")
)


@settings(max_examples=600, deadline=None)
@given(st.lists(PDF_TEXT, min_size=1, max_size=60).map("".join))
def test_repair_matches_ftfy_on_random_pdf_symbol_text(value):
    text._repair_cached.cache_clear()
    assert text._fix(value) == _CONTROL.sub("", ftfy.fix_text(value, _FTFY))
