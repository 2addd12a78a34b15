"""The hand-labelled sentences that bench/claims_quality.py measures against are well-formed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

LABELS = Path(__file__).parents[2] / "tests" / "data" / "claims-labelled.jsonl"
SCIERC_TYPES = {"Task", "Method", "Metric", "Dataset", "OtherScientificTerm"}
CLAIM_TYPES = {"contribution", "result", "comparison", "finding"}


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_label_has_a_unique_id_a_known_split_and_a_type_only_when_a_claim(labelled):
    assert not [i for i, n in Counter(x["id"] for x in labelled).items() if n > 1]
    for x in labelled:
        assert x["split"] in {"dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5"}, x["id"]
        assert (x["type"] in CLAIM_TYPES) if x["claim"] else x["type"] is None, x["id"]


def test_every_labelled_entity_is_a_substring_of_its_sentence_with_a_scierc_type(labelled):
    for x in labelled:
        for entity in x["entities"]:
            assert entity["text"] in x["text"], (x["id"], entity)
            assert entity["type"] in SCIERC_TYPES, (x["id"], entity)


def test_the_fresh_held_out_split_shares_no_sentence_with_the_tuned_on_ones(labelled):
    tuned_on = {x["text"] for x in labelled if x["split"] in {"dev", "heldout"}}
    fresh = [x for x in labelled if x["split"] == "heldout2"]
    assert len(fresh) >= 75
    assert {x["arxiv_id"] for x in fresh} == {"2307.09288", "2307.09042"}
    assert not [x["id"] for x in fresh if x["text"] in tuned_on]


def test_the_third_fresh_split_shares_no_sentence_with_the_earlier_splits(labelled):
    earlier = {x["text"] for x in labelled if x["split"] in {"dev", "heldout", "heldout2"}}
    fresh = [x for x in labelled if x["split"] == "heldout3"]
    assert len(fresh) == 150
    assert {x["arxiv_id"] for x in fresh} == {"2307.09288", "2307.09042"}
    assert not [x["id"] for x in fresh if x["text"] in earlier]


def test_the_fourth_fresh_split_shares_no_sentence_with_the_earlier_splits(labelled):
    earlier = {x["text"] for x in labelled if x["split"] in {"dev", "heldout", "heldout2", "heldout3"}}
    fresh = [x for x in labelled if x["split"] == "heldout4"]
    assert len(fresh) == 150
    assert len({x["text"] for x in fresh}) == 150
    assert {x["arxiv_id"] for x in fresh} == {"2307.09288", "2307.09042"}
    assert not [x["id"] for x in fresh if x["text"] in earlier]


def test_the_fifth_fresh_split_shares_no_sentence_with_the_earlier_splits(labelled):
    earlier = {x["text"] for x in labelled if x["split"] in {"dev", "heldout", "heldout2", "heldout3", "heldout4"}}
    fresh = [x for x in labelled if x["split"] == "heldout5"]
    assert len(fresh) == 150
    # two strings recur in different chunks of the sample (a repeated model reply, a repeated plot legend):
    # each was drawn once per chunk, so sentences are unique by place, not by text
    assert len({(x["arxiv_id"], x["context"], x["text"]) for x in fresh}) == 150
    assert {x["arxiv_id"] for x in fresh} == {"2307.09288", "2307.09042"}
    assert not [x["id"] for x in fresh if x["text"] in earlier]
