"""RDF terms written as N-Quads text read back, through Oxigraph's parser, as the very values they were made from."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.rdf import Quad, iri, literal

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


def _read_back(term: str) -> ox.Literal:
    line = Quad(iri("https://example.org/s"), iri("https://example.org/p"), term, iri("https://example.org/g")).nquad()
    (quad,) = ox.parse(line.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    assert isinstance(quad.object, ox.Literal)
    return quad.object


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_reads_back_as_the_same_string(value: str) -> None:
    assert _read_back(literal(value)).value == value


def test_quotes_backslashes_and_control_characters_are_escaped_on_one_line() -> None:
    term = literal('say "hi"\\ \n\r\t\x01\x7f done')
    assert "\n" not in term and "\r" not in term
    assert _read_back(term).value == 'say "hi"\\ \n\r\t\x01\x7f done'


def test_datatype_and_language_are_kept() -> None:
    assert _read_back(literal("2023-07-18", datatype="http://www.w3.org/2001/XMLSchema#date")).datatype == ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"
    )
    assert _read_back(literal("Hallo", lang="de")).language == "de"
    assert literal("plain", datatype="http://www.w3.org/2001/XMLSchema#string") == '"plain"'
