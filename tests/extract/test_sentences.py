"""Sentence boundaries on scientific text: what a news-text sentencizer gets wrong."""

from __future__ import annotations

import pytest

from kg.extract.nlp import load_pipeline


def sentences(text: str) -> list[str]:
    return [s.text for s in load_pipeline()(text).sents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("As shown by Touvron et al. (2023), it works. We agree.",
         ["As shown by Touvron et al. (2023), it works.", "We agree."]),
        ("Prior work (Stiennon et al., 2020; Ouyang et al., 2022) found this. We confirm it.",
         ["Prior work (Stiennon et al., 2020; Ouyang et al., 2022) found this.", "We confirm it."]),
        ("Hobbies such as e.g. Tennis are fine. Next.", ["Hobbies such as e.g. Tennis are fine.", "Next."]),
        ("See Fig. 3 for details. Then stop.", ["See Fig. 3 for details.", "Then stop."]),
        ("A precision of 0.89 and a recall of 0.55 were measured. Done.",
         ["A precision of 0.89 and a recall of 0.55 were measured.", "Done."]),
        ("Most LLMs failed without Two- shot Chain of Thought prompts. GPT-4 did not.",
         ["Most LLMs failed without Two- shot Chain of Thought prompts.", "GPT-4 did not."]),
        ("Hashimoto, T. B. (2023a). Alpaca: A strong model.", ["Hashimoto, T. B. (2023a).", "Alpaca: A strong model."]),
        ("the impact on LLMs' EQ. In summary, it helps.", ["the impact on LLMs' EQ.", "In summary, it helps."]),
    ],
    ids=["et-al-year", "citation-list", "e-g", "fig-3", "decimals", "hyphenation-debris", "initials", "acronym-end"],
)
def test_sentences_survive_scientific_abbreviations_and_numbers(text, expected):
    assert sentences(text) == expected


def test_a_heading_run_into_its_first_sentence_becomes_a_sentence_of_its_own():
    text = "# 3.3 System Message for Multi-Turn Consistency In a dialogue setup, some instructions apply."
    assert sentences(text) == ["# 3.3 System Message for Multi-Turn Consistency",
                               "In a dialogue setup, some instructions apply."]


def test_consecutive_headings_and_a_gerund_opening_are_split():
    text = "# 3.4 RLHF Results # 3.4.1 Model-Based Evaluation Evaluating LLMs is a challenging problem."
    assert sentences(text) == ["# 3.4 RLHF Results", "# 3.4.1 Model-Based Evaluation",
                               "Evaluating LLMs is a challenging problem."]


def test_a_caption_opens_a_sentence_after_figure_residue():
    text = "10° 101 10? Number Samples Figure 8: RLHF impact of the temperature. Rejection Sampling."
    assert "Figure 8: RLHF impact of the temperature." in sentences(text)


def test_sentence_boundaries_are_linear_in_the_text_length():
    doc = load_pipeline()("token " * 100_000)  # one 600 kB sentence: was quadratic when set token by token
    assert len(list(doc.sents)) == 1
