"""Reading JSON Lines: the row decoder that reuses a repeated tail decodes exactly as orjson does."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.sources.readers import RowDecoder

SCALARS = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["id", "title", "x"]), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(["doi", "chunk-id", "chunk", "id", "title", "summary", "references", "x"])
ROWS = st.lists(st.tuples(KEYS, VALUES), min_size=0, max_size=8)


def _dump(members: list[tuple[str, object]], compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    member, key = separators
    body = member.join(json.dumps(k) + key + json.dumps(v, separators=separators) for k, v in members)
    return ("{" + body + "}\n").encode()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(ROWS, ROWS), min_size=1, max_size=6), st.booleans())
def test_rows_decode_as_orjson_decodes_them_key_order_included(rows, compact):
    decode = RowDecoder()
    shared_tail = [("title", "A title"), ("summary", "the abstract"), ("references", [{"id": "1"}])]
    for head, tail in rows:
        for members in (head + shared_tail, head + tail, [*head, ("title", "t"), *tail], head):
            line = _dump(members, compact)
            assert list(decode(line).items()) == list(orjson.loads(line).items())


def test_chunk_rows_of_one_paper_reuse_the_decoded_metadata():
    decode = RowDecoder()
    rows = [
        {"doi": "2307.09288", "chunk-id": i, "chunk": f"text {i}", "title": "Llama 2", "references": [{"id": "1"}]}
        for i in range(3)
    ]
    decoded = [decode(json.dumps(row).encode() + b"\n") for row in rows]
    assert decoded == rows
    assert decoded[0]["references"] is decoded[2]["references"]  # decoded once


@pytest.mark.parametrize("line", [
    b'{"doi": "1", "title": "x"} trailing\n',
    b'{"doi": NaN, "title": "x"}\n',
    b'{"doi": "1", "title": "\xff"}\n',
    b'{"doi": [1, "title": 2]}\n',
    b'[1, "title": 2]\n',
    b'{"doi": "1", "title": 99999999999999999999999}\n',
])
def test_odd_lines_decode_or_fail_as_orjson_does(line):
    decode = RowDecoder()
    decode(b'{"doi": "1", "title": "x"}\n')
    try:
        expected = orjson.loads(line)
    except orjson.JSONDecodeError:
        with pytest.raises(orjson.JSONDecodeError):
            decode(line)
    else:
        assert decode(line) == expected
