"""Text repair: mojibake fixed, control characters and lone surrogates removed, whitespace normalised."""

from __future__ import annotations

import re
from functools import lru_cache

import ftfy

# Only the repairs of earlier wrong decodings; quotes, ligatures and widths stay as the authors wrote them.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=False,
    explain=False,
)
# C0 controls except tab, newline, carriage return; DEL; C1 controls; lone surrogates; non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
# Mojibake of UTF-8 read as Latin-1, Windows-1252 or MacRoman always holds a character of Latin-1's upper half
# or one of Windows-1252's extras; text without any is left to the much cheaper control-character pass.
_MAYBE_MOJIBAKE = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020\u2021\u2030\u2122\u20ac]"
)


def repair(value: str) -> str:
    """Fix mojibake (``â\\x80\\x94`` becomes an em dash) and drop control characters.

    >>> repair("a \\u00e2\\u0080\\u0094 b\\x00")
    'a — b'
    """
    if value.isascii() or not _MAYBE_MOJIBAKE.search(value):
        return _CONTROL.sub("", value)
    if len(value) <= _CACHED_LENGTH:
        return _repair_cached(value)
    return _CONTROL.sub("", ftfy.fix_text(value, _FTFY))


# A paper's title, abstract and author names repeat on each of its chunk rows, and names recur across
# papers: ftfy's check costs ~0.1 ms a string, so repeated strings are repaired once (bounded cache).
_CACHED_LENGTH = 8192


@lru_cache(maxsize=4096)
def _repair_cached(value: str) -> str:
    return _CONTROL.sub("", ftfy.fix_text(value, _FTFY))


def squash(value: str) -> str:
    """Whitespace runs become one space; ends stripped.

    >>> squash("  Llama 2:\\n  Open ")
    'Llama 2: Open'
    """
    return _WHITESPACE.sub(" ", value).strip()
