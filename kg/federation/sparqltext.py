"""A SPARQL tokenizer that respects strings, comments and IRIs, and the few structures federation needs.

It finds every ``SERVICE`` clause (with its exact text span), the prologue (``PREFIX``/``BASE``), the
query's top-level ``WHERE`` group and that group's elements, so that a ``SERVICE`` clause can be
replaced in place by a ``VALUES`` block. It does not validate queries: pyoxigraph does.

>>> [s.endpoint for s in find_services('PREFIX w: <http://w/> SELECT * { ?s ?p ?o SERVICE w:sparql { ?s ?q ?r } }')]
['http://w/sparql']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<bnode>_:[A-Za-z0-9_\u00B7-\uFFFF](?:[A-Za-z0-9_\-.\u00B7-\uFFFF]*[A-Za-z0-9_\-\u00B7-\uFFFF])?)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF](?:[A-Za-z0-9_\-.\u00B7-\uFFFF]*[A-Za-z0-9_\-\u00B7-\uFFFF])?)?:
               (?:(?:[A-Za-z0-9_:\-\u00B7-\uFFFF]|%[0-9A-Fa-f]{2}|\\.)
                  (?:(?:[A-Za-z0-9_:.\-\u00B7-\uFFFF]|%[0-9A-Fa-f]{2}|\\.)*(?:[A-Za-z0-9_:\-\u00B7-\uFFFF]|%[0-9A-Fa-f]{2}|\\.))?)?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\^\^|&&|\|\||!=|<=|>=)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

OPENERS = {"{": "}", "(": ")", "[": "]"}
CLOSERS = {"}", ")", "]"}
#: Keywords that start a group element other than a triples block.
ELEMENT_KEYWORDS = {"OPTIONAL", "MINUS", "SERVICE", "GRAPH", "FILTER", "BIND", "VALUES"}


class SparqlTextError(ValueError):
    """The text cannot be split where federation needs it (unbalanced braces, a SERVICE without a group)."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, char: str) -> bool:
        return self.kind == "punct" and self.text == char


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, without white space and comments."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


def expand_codepoint_escapes(text: str) -> str:
    r"""Replace ``\uXXXX`` and ``\UXXXXXXXX`` escapes, as SPARQL 1.1 section 19.2 allows before parsing."""
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


def matching(tokens: list[Token], i: int) -> int:
    """Index just after the closer matching the opener at ``tokens[i]``."""
    stack = []
    for j in range(i, len(tokens)):
        tok = tokens[j]
        if tok.kind != "punct":
            continue
        if tok.text in OPENERS:
            stack.append(OPENERS[tok.text])
        elif tok.text in CLOSERS:
            if not stack or stack.pop() != tok.text:
                raise SparqlTextError(f"unbalanced {tok.text!r} at character {tok.start}")
            if not stack:
                return j + 1
    raise SparqlTextError(f"unclosed {tokens[i].text!r} at character {tokens[i].start}")


@dataclass
class Prologue:
    """The ``BASE`` and ``PREFIX`` declarations in force at a point of the text."""

    base: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)

    def resolve(self, iriref: str) -> str:
        iri = iriref[1:-1]
        return urljoin(self.base, iri) if self.base and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri) else iri

    def expand(self, pname: str) -> str | None:
        prefix, _, local = pname.partition(":")
        if prefix not in self.prefixes:
            return None
        local = re.sub(r"\\(.)", r"\1", local)
        return self.prefixes[prefix] + local

    def text(self) -> str:
        lines = [f"BASE <{self.base}>"] if self.base else []
        lines += [f"PREFIX {p}: <{iri}>" for p, iri in self.prefixes.items()]
        return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True)
class ServiceClause:
    """One ``SERVICE [SILENT] endpoint { ... }`` in the text."""

    start: int  # character offsets of the whole clause
    end: int
    silent: bool
    endpoint: str | None  # absolute IRI, or None when it is a variable or cannot be resolved
    endpoint_text: str
    body: str  # the group pattern text, braces included
    prologue_text: str  # the declarations in force, to send with the body
    tok_start: int  # token indexes of the clause
    tok_end: int
    depth: int  # 0 for an outermost clause, 1 inside another SERVICE, ...


def _prologue_updates(tokens: list[Token], i: int, prologue: Prologue) -> None:
    tok = tokens[i]
    if tok.is_word("PREFIX") and i + 2 < len(tokens) and tokens[i + 1].kind == "pname" and tokens[i + 2].kind == "iri":
        prologue.prefixes[tokens[i + 1].text[:-1]] = prologue.resolve(tokens[i + 2].text)
    elif tok.is_word("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
        prologue.base = prologue.resolve(tokens[i + 1].text)


def find_services(text: str, tokens: list[Token] | None = None) -> list[ServiceClause]:
    """Every ``SERVICE`` clause in ``text``, nested ones included, in order of appearance."""
    tokens = tokenize(text) if tokens is None else tokens
    prologue = Prologue()
    found: list[ServiceClause] = []
    open_ends: list[int] = []  # token end indexes of the clauses we are inside
    for i, tok in enumerate(tokens):
        while open_ends and i >= open_ends[-1]:
            open_ends.pop()
        _prologue_updates(tokens, i, prologue)
        if not tok.is_word("SERVICE"):
            continue
        j = i + 1
        silent = j < len(tokens) and tokens[j].is_word("SILENT")
        if silent:
            j += 1
        if j >= len(tokens):
            raise SparqlTextError(f"SERVICE without an endpoint at character {tok.start}")
        term = tokens[j]
        if term.kind == "iri":
            endpoint: str | None = prologue.resolve(term.text)
        elif term.kind == "pname":
            endpoint = prologue.expand(term.text)
        else:
            endpoint = None
        if j + 1 >= len(tokens) or not tokens[j + 1].is_punct("{"):
            raise SparqlTextError(f"SERVICE {term.text} without a group pattern at character {tok.start}")
        end = matching(tokens, j + 1)
        found.append(
            ServiceClause(
                start=tok.start,
                end=tokens[end - 1].end,
                silent=silent,
                endpoint=endpoint,
                endpoint_text=term.text,
                body=text[tokens[j + 1].start : tokens[end - 1].end],
                prologue_text=Prologue(prologue.base, dict(prologue.prefixes)).text(),
                tok_start=i,
                tok_end=end,
                depth=len(open_ends),
            )
        )
        open_ends.append(end)
    return found


def find_loads(text: str, tokens: list[Token] | None = None) -> list[tuple[str | None, str]]:
    """The sources of ``LOAD`` operations in an update: (absolute IRI or ``None``, text as written)."""
    tokens = tokenize(text) if tokens is None else tokens
    prologue = Prologue()
    found: list[tuple[str | None, str]] = []
    for i, tok in enumerate(tokens):
        _prologue_updates(tokens, i, prologue)
        if not tok.is_word("LOAD"):
            continue
        j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].is_word("SILENT") else i + 1
        term = tokens[j] if j < len(tokens) else tok
        if term.kind == "iri":
            found.append((prologue.resolve(term.text), term.text))
        elif term.kind == "pname":
            found.append((prologue.expand(term.text), term.text))
        else:
            found.append((None, term.text))
    return found


@dataclass(frozen=True)
class Element:
    """One element of a group graph pattern: a triples block, ``OPTIONAL {..}``, ``SERVICE ..``, ``FILTER ..``..."""

    kind: str  # triples | optional | minus | service | graph | filter | bind | values | group
    tok_start: int
    tok_end: int
    start: int
    end: int
    variables: frozenset[str]

    @property
    def joins(self) -> bool:
        """Whether the element enters its group by a plain join (so it commutes with its join neighbours)."""
        return self.kind in ("triples", "graph", "values", "group", "service")


def _variables(tokens: list[Token], i: int, j: int) -> frozenset[str]:
    return frozenset(t.text[1:] for t in tokens[i:j] if t.kind == "var")


def group_elements(tokens: list[Token], open_index: int) -> list[Element]:
    """The elements of the group whose ``{`` is ``tokens[open_index]``."""
    close = matching(tokens, open_index) - 1
    elements: list[Element] = []
    i = open_index + 1

    def add(kind: str, start: int, end: int) -> None:
        elements.append(
            Element(kind, start, end, tokens[start].start, tokens[end - 1].end, _variables(tokens, start, end))
        )

    while i < close:
        tok = tokens[i]
        if tok.is_punct("."):
            i += 1
        elif tok.is_word("OPTIONAL", "MINUS"):
            end = matching(tokens, i + 1)
            add(tok.text.lower(), i, end)
            i = end
        elif tok.is_word("SERVICE"):
            j = i + 2 if tokens[i + 1].is_word("SILENT") else i + 1
            end = matching(tokens, j + 1)
            add("service", i, end)
            i = end
        elif tok.is_word("GRAPH"):
            end = matching(tokens, i + 2)
            add("graph", i, end)
            i = end
        elif tok.is_word("BIND"):
            end = matching(tokens, i + 1)
            add("bind", i, end)
            i = end
        elif tok.is_word("VALUES"):
            j = i + 2 if tokens[i + 1].kind == "var" else matching(tokens, i + 1)
            end = matching(tokens, j)
            add("values", i, end)
            i = end
        elif tok.is_word("FILTER"):
            j = i + 1
            if tokens[j].is_word("NOT"):
                j += 1
            if tokens[j].is_word("EXISTS"):
                end = matching(tokens, j + 1)
            elif tokens[j].is_punct("("):
                end = matching(tokens, j)
            else:  # a built-in or IRI function call
                end = matching(tokens, j + 1)
            add("filter", i, end)
            i = end
        elif tok.is_punct("{"):
            end = matching(tokens, i)
            while end < close and tokens[end].is_word("UNION"):
                end = matching(tokens, end + 1)
            add("group", i, end)
            i = end
        else:
            j = i
            while j < close:
                t = tokens[j]
                if t.kind == "punct" and t.text in ("{", "}"):
                    break
                if t.kind == "word" and t.text.upper() in ELEMENT_KEYWORDS:
                    break
                j = matching(tokens, j) if t.kind == "punct" and t.text in ("(", "[") else j + 1
            if j == i:
                raise SparqlTextError(f"unexpected {tok.text!r} at character {tok.start}")
            add("triples", i, j)
            i = j
    return elements


@dataclass(frozen=True)
class QueryShape:
    """Where the parts of a query are: its form, dataset clauses and top-level ``WHERE`` group."""

    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    where_open: int  # token index of the WHERE group's "{"
    dataset_text: str  # FROM / FROM NAMED clauses, verbatim
    prologue_text: str


def query_shape(text: str, tokens: list[Token]) -> QueryShape | None:
    """The shape of a query, or ``None`` for an update or a form the bind join does not rewrite."""
    prologue = Prologue()
    i = 0
    while i < len(tokens) and tokens[i].is_word("PREFIX", "BASE"):
        _prologue_updates(tokens, i, prologue)
        i += 3 if tokens[i].is_word("PREFIX") else 2
    if i >= len(tokens) or not tokens[i].is_word("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
        return None
    form = tokens[i].text.upper()
    j = i + 1
    if form == "CONSTRUCT":
        if j < len(tokens) and tokens[j].is_punct("{"):
            j = matching(tokens, j)
        else:
            return None  # CONSTRUCT WHERE { }: the template is the pattern
    dataset: list[str] = []
    while j < len(tokens):
        tok = tokens[j]
        if tok.is_punct("{"):
            return QueryShape(form, j, " ".join(dataset), prologue.text())
        if tok.is_word("FROM"):
            named = tokens[j + 1].is_word("NAMED")
            k = j + 2 if named else j + 1
            dataset.append(text[tok.start : tokens[k].end])
            j = k + 1
        elif tok.is_punct("("):
            j = matching(tokens, j)
        else:
            j += 1
    return None
