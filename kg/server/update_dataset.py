"""The protocol's ``using-graph-uri`` / ``using-named-graph-uri`` for SPARQL Update, applied by adding
``USING`` clauses before the ``WHERE`` of each DELETE/INSERT operation (pyoxigraph's update takes no
dataset). A small tokenizer skips strings, IRIs and comments so that only real keywords count."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<comment>\#[^\n]*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class DatasetConflict(ValueError):
    """The request names a dataset both in the protocol and in the update text."""


def _top_level_keywords(update: str) -> list[tuple[str, int]]:
    """``(KEYWORD, offset)`` for each word outside braces, strings, IRIs and comments (and each outer ``{``)."""
    depth = 0
    words = []
    for match in _TOKEN.finditer(update):
        kind = match.lastgroup
        if kind == "open":
            if depth == 0:
                words.append(("{", match.start()))
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word" and depth == 0:
            words.append((match.group().upper(), match.start()))
    return words


def apply_dataset(update: str, using: list[str], using_named: list[str]) -> str:
    """The update with the protocol's dataset written into each DELETE/INSERT ... WHERE operation.

    >>> apply_dataset("INSERT { <a> <b> ?o } WHERE { ?s ?p ?o }", ["http://g"], [])
    'INSERT { <a> <b> ?o } USING <http://g> WHERE { ?s ?p ?o }'
    >>> apply_dataset("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://h"], [])
    Traceback (most recent call last):
    ...
    kg.server.update_dataset.DatasetConflict: ...
    """
    if not using and not using_named:
        return update
    words = _top_level_keywords(update)
    if any(word in ("USING", "WITH") for word, _ in words):
        raise DatasetConflict(
            "the update names its dataset with USING or WITH and the request with using-graph-uri or "
            "using-named-graph-uri: give one or the other"
        )
    clause = " ".join([*(f"USING <{g}>" for g in using), *(f"USING NAMED <{g}>" for g in using_named)]) + " "
    inserts = [
        offset
        for index, (word, offset) in enumerate(words)
        if word == "WHERE" and not (index and words[index - 1][0] == "DELETE")
    ]
    for offset in reversed(inserts):
        update = update[:offset] + clause + update[offset:]
    return update
