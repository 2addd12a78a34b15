"""Text repair: mojibake fixed, control characters and lone surrogates removed, whitespace normalised."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ftfy
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE
from ftfy.chardata import CONTROL_CHARS

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
_ASCII_CONTROL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_WHITESPACE = re.compile(r"\s+")
# Mojibake of UTF-8 read as Latin-1, Windows-1252 or MacRoman always holds a character of Latin-1's upper half
# or one of Windows-1252's extras; text without any is left to the much cheaper control-character pass.
_MAYBE_MOJIBAKE = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020\u2021\u2030\u2122\u20ac]"
)

_SUSPECT = re.compile(f"{_CONTROL.pattern[:-1]}{_MAYBE_MOJIBAKE.pattern[1:]}")


def repair(value: str) -> str:
    """Fix mojibake (``â\\x80\\x94`` becomes an em dash) and drop control characters.

    >>> repair("a \\u00e2\\u0080\\u0094 b\\x00")
    'a — b'
    """
    if value.isascii():  # bytes.translate deletes the few ASCII controls much faster than the pattern
        data = value.encode("ascii")
        kept = data.translate(None, _ASCII_CONTROL)
        return value if len(kept) == len(data) else kept.decode("ascii")
    unusual = _unusual(value)
    if not _SUSPECT.search(unusual):  # most accented text
        return value
    if not _MAYBE_MOJIBAKE.search(unusual):
        return _CONTROL.sub("", value)
    if len(value) <= _CACHED_LENGTH:
        return _repair_cached(value)
    return _fix(value)


# Printable ASCII, tab and line breaks: the characters none of the checks below looks for.
_PLAIN_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


def _unusual(value: str) -> str:
    """The characters of ``value`` other than printable ASCII, tab and line breaks, in their order.

    A few characters of a chunk instead of all: the checks below look for characters in large sets,
    which the regular expression engine tests one item of the set after the other (~50 instructions a
    character), while encoding and ``bytes.translate`` take a few.
    """
    try:
        return value.encode("utf-8").translate(None, _PLAIN_ASCII).decode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: look at all of it
        return value


def _fix(value: str) -> str:
    unusual = _unusual(value)
    if _ftfy_would_change(value, unusual):
        return _CONTROL.sub("", ftfy.fix_text(value, _FTFY))
    return _CONTROL.sub("", value) if _CONTROL.search(unusual) else value


# What ftfy (with the config above) does to a string, as cheap checks: it re-decodes only when its badness
# pattern matches, then maps C1 controls, pairs surrogates, strips terminal escapes and its control
# characters, and NFC-normalises. A string that trips none of these comes back unchanged, and most chunk
# text with a few accents is such a string: scanning it with the badness pattern costs ~0.3 ms a chunk.
_FTFY_EDITS = re.compile(
    "[\x1b\x80-\x9f\ud800-\udfff" + "".join(re.escape(chr(c)) for c in sorted(CONTROL_CHARS)) + "]"
)
# Every alternative of the badness pattern matches at most 7 characters, and each needs two non-ASCII
# characters side by side or one of a few that are bad on their own (C1 controls, Œ, œ, Ã, Â): the tests
# check both on the parsed pattern. So it is enough to search a few characters around each such spot, and
# text whose accents and symbols stand alone (most of it) needs one scan; ``^`` in the pattern means the
# start of each line ftfy fixes separately.
_BAD_REACH = 8
_LONE_BAD = "\x80-\x9f\u0152\u0153\u00c2\u00c3"
_BAD_SPOT = re.compile(f"[\x80-\U0010ffff](?:[\x80-\U0010ffff]|(?<=[{_LONE_BAD}]))")
_LINE_START_BAD = re.compile("\n[\u00c2\u00c3] ")


def _looks_bad(value: str, unusual: str | None = None) -> bool:
    """``ftfy.badness.is_bad`` over each line of ``value``, searching only near spots it could match.

    ``unusual`` is ``_unusual(value)``: characters side by side in ``value`` are so in it too.
    """
    if not _BAD_SPOT.search(_unusual(value) if unusual is None else unusual):
        return False
    if _LINE_START_BAD.search(value):
        return True
    end = len(value)
    lo = hi = -1
    for spot in _BAD_SPOT.finditer(value):
        start = max(0, spot.start() - _BAD_REACH)
        if start > hi:
            if hi >= 0 and BADNESS_RE.search(value, lo, hi):
                return True
            lo = start
        hi = min(end, spot.end() + _BAD_REACH)
    return hi >= 0 and BADNESS_RE.search(value, lo, hi) is not None


def _ftfy_would_change(value: str, unusual: str | None = None) -> bool:
    """False only when ``ftfy.fix_text(value, _FTFY)`` is sure to return ``value`` unchanged.

    ``unusual`` is ``_unusual(value)``, if the caller has it.
    """
    if unusual is None:
        unusual = _unusual(value)
    if (
        len(value) > _FTFY.max_decode_length
        or _FTFY_EDITS.search(unusual) is not None
        or not unicodedata.is_normalized("NFC", value)
    ):
        return True
    if not _looks_bad(value, unusual):
        return False
    if "\n" not in value:
        return not _no_encoding_fix(value)
    # ftfy fixes each line (with its newline) on its own
    return not all(_no_encoding_fix(line) for line in _LINES.findall(value) if _looks_bad(line))


# Text that looks bad to ftfy but that no re-decoding fixes (footnote marks like "‡‡", "§§" or "°°" beside
# curly quotes are common in PDF text) made ftfy try every encoding at ~0.8 ms a chunk, and change nothing.
# ftfy's encoding step changes such a line only when one of its single-byte encodings gives bytes that decode
# as UTF-8 (every such decoding, and both byte repairs before it, needs a byte of 0xC0-0xF4), or when its
# inconsistent-UTF-8 pattern matches (which needs one of the pattern's first characters). With C1 controls,
# ftfy's other edits and non-NFC text already ruled out, nothing else it does can change the line.
_LINES = re.compile("[^\n]*\n|[^\n]+")
_LEAD_BYTE = re.compile(b"[\xc0-\xf4]")
_UTF8_FIRST = re.compile(
    "[" + "".join(chardata.UTF8_CLUES[k] for k in ("utf8_first_of_2", "utf8_first_of_3", "utf8_first_of_4")) + "]"
)


def _no_encoding_fix(line: str) -> bool:
    """True when ftfy's encoding step is sure to leave ``line`` (one line, no C1 controls) unchanged."""
    if _UTF8_FIRST.search(line):
        return False
    for encoding in chardata.CHARMAP_ENCODINGS:
        if not chardata.possible_encoding(line, encoding):
            continue
        data = line.encode(encoding)
        if not _LEAD_BYTE.search(data):
            continue
        # the attempt ftfy makes, with its own byte repairs: if it decodes, leave the decision to ftfy
        if encoding != "macroman" and chardata.ALTERED_UTF8_RE.search(data):
            data = fixes.restore_byte_a0(data)
        if encoding.startswith("sloppy"):
            data = fixes.replace_lossy_sequences(data)
        try:
            data.decode("utf-8-variants" if b"\xed" in data or b"\xc0" in data else "utf-8")
        except UnicodeDecodeError:
            continue
        return False
    return True


# A paper's title, abstract and author names repeat on each of its chunk rows, and names recur across
# papers: ftfy's check costs ~0.1 ms a string, so repeated strings are repaired once (bounded cache).
_CACHED_LENGTH = 8192


@lru_cache(maxsize=4096)
def _repair_cached(value: str) -> str:
    return _fix(value)


def squash(value: str) -> str:
    """Whitespace runs become one space; ends stripped.

    >>> squash("  Llama 2:\\n  Open ")
    'Llama 2: Open'
    """
    return _WHITESPACE.sub(" ", value).strip()
