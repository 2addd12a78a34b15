"""Claim detection, typing, polarity, hedging, structured parts and entity mentions, on sentences written
for the test (the labelled sample sentences are measured by bench/claims_quality.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from kg.extract.claims import TextJob, abstract_job, docs_for, extract_batch, find_claims
from kg.extract.entities import find_mentions, paper_names
from kg.extract.nlp import components, load_pipeline, pipeline_config
from kg.sources.records import Paper


def claims_of(text: str, *, abstract: bool = False, names=()):
    job = TextJob("2401.00001", text, None if abstract else 0, tuple(names))
    doc = next(iter(docs_for([job])))
    return find_claims(doc)


def one_claim(text: str, **kw):
    found = claims_of(text, **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "claim_type"),
    [
        ("We propose a retrieval method that needs no labels.", "contribution"),
        ("We release the code and the weights of all our models.", "contribution"),
        ("Our method outperformed the strongest baseline on every benchmark.", "comparison"),
        ("The 7B model is competitive with much larger models.", "comparison"),
        ("The model achieves an accuracy of 91.2 on the test set.", "result"),
        ("We find that longer prompts reduce the error rate.", "finding"),
        ("Results indicate that data quality matters more than size.", "finding"),
        ("Fine-tuning did not improve robustness to paraphrases.", "finding"),
    ],
)
def test_claims_are_found_and_typed(sentence, claim_type):
    assert one_claim(sentence).claim_type == claim_type


@pytest.mark.parametrize(
    "sentence",
    [
        "We use a batch size of 512 and a learning rate of 0.0001.",
        "For each prompt we sample four answers from the policy.",
        "Figure 3: Accuracy of the models across training steps.",
        "Smith et al. (2021) show that larger models outperform smaller ones.",
        "We leave the study of multilingual prompts for future work.",
        "In this section, we describe the data pipeline.",
        "How many samples do we need to outperform the baseline?",
        "GPT-4 1.89 117 89% 0.28 67% LLaMA ------FAILED------ Alpaca 2.56 104 56% 0.03 15%",
        "Zeng, A., Liu, X., Du, Z. (2022). GLM-130B: An Open Bilingual Pre-trained Model.",
    ],
    ids=["setup", "method", "caption", "background", "future-work", "roadmap", "question", "table-debris", "reference"],
)
def test_setup_captions_background_future_work_and_debris_are_not_claims(sentence):
    assert claims_of(sentence) == []


def test_lemmas_from_the_lookup_tables_match_inflected_cues():
    assert "outperformed" in components.lemma_forms(["outperform"])
    for verb in ("outperforms", "outperformed", "outperforming"):
        assert one_claim(f"The tuned model {verb} the baseline by a wide margin.").claim_type == "comparison"


def test_negation_and_hedging_are_marked():
    claim = one_claim("We find that the prompts did not improve the scores of smaller models.")
    assert claim.negated and not claim.hedged
    claim = one_claim("We find that this may explain part of the gap.")
    assert claim.hedged and not claim.negated


def test_weak_contribution_cues_count_in_abstracts_only():
    text = "We present a benchmark of emotional understanding for language models."
    assert claims_of(text, abstract=True)
    assert claims_of(text) == []


def test_a_comparison_gets_subject_relation_object_and_value():
    claim = one_claim("Llama 2-Chat 7B outperforms MPT-7B-chat on 60% of the prompts.")
    assert claim.relation == "outperforms"
    assert claim.subject.concept == "llama-2-chat"
    assert claim.object.concept == "mpt-chat"
    assert claim.value == "60%"


def test_claim_offsets_slice_the_text_exactly():
    text = "Intro text here. As expected, our model outperforms GPT-4 on TruthfulQA. More text follows."
    claim = one_claim(text)
    assert text[claim.begin:claim.end] == claim.text == "As expected, our model outperforms GPT-4 on TruthfulQA."
    assert {m.concept for m in claim.mentions} == {"gpt-4", "truthfulqa"}


def mentions_of(text: str, names=()):
    job = TextJob("2401.00001", text, 0, tuple(names))
    return [(m.text, m.entity_type, m.concept) for m in find_mentions(next(iter(docs_for([job]))))]


def test_model_names_with_versions_are_one_mention_each():
    found = mentions_of("We compare GPT-3.5-turbo, text-davinci-002, Llama 2-Chat 70B and Falcon-40b-instruct.")
    assert [t for t, *_ in found] == ["GPT-3.5-turbo", "text-davinci-002", "Llama 2-Chat 70B", "Falcon-40b-instruct"]
    assert all(kind == "Method" for _, kind, _ in found)


def test_an_abbreviation_definition_links_the_short_form_to_the_long_form():
    found = mentions_of("We introduce Sparse Window Attention (SWA), and SWA is fast.")
    assert ("Sparse Window Attention", "OtherScientificTerm", "sparse-window-attention") in found
    assert ("SWA", "OtherScientificTerm", "sparse-window-attention") in found


def test_gazetteer_types_follow_scierc():
    found = {t: kind for t, kind, _ in mentions_of("RLHF improves TruthfulQA accuracy on question answering.")}
    assert found == {"RLHF": "Method", "TruthfulQA": "Dataset", "accuracy": "Metric", "question answering": "Task"}


def test_names_from_the_title_and_abstract_are_found_in_the_text():
    paper = Paper("2401.00001", "Zorblax: Open Chat Models", ("A. Author",), (),
                  abstract="Our tuned models, called Zorblax-Chat, are good at dialogue.")
    names = paper_names(paper)
    assert ("Zorblax", "Method", "Zorblax") in names
    found = mentions_of("Zorblax-Chat beats Zorblax on every task.", names)
    assert [t for t, *_ in found] == ["Zorblax-Chat", "Zorblax"]


def test_the_pipeline_comes_from_the_shipped_config_with_registered_components():
    config = pipeline_config()
    nlp = load_pipeline()
    assert nlp.pipe_names == list(config["nlp"]["pipeline"])
    assert all(name.startswith("kg_") for name in nlp.pipe_names)
    assert spacy.util.registry.misc.get("kg.patterns.v1") is components.read_patterns


def test_every_pattern_file_is_valid_json_lines():
    folder = Path(components.__file__).parents[1] / "patterns"
    for name in components.pattern_names():
        for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            json.loads(line)


def test_a_batch_gives_the_same_quads_every_time():
    paper = Paper("2401.00001", "Zorblax: Open Chat Models", ("A. Author",), (),
                  abstract="We propose Zorblax, a chat model. Zorblax outperforms GPT-4 on MMLU by 3 points.")
    job = abstract_job(paper)
    first = extract_batch([job], "https://example.org/kg/")
    second = extract_batch([job], "https://example.org/kg/")
    assert first.nquads == second.nquads and first.claims == 2


def test_the_regex_matcher_finds_what_spacys_matcher_finds_on_the_sample(sample_rows):
    from spacy.matcher import Matcher

    from kg.extract.nlp.token_regex import TokenRegexMatcher

    nlp = load_pipeline()
    records = [r for r in components.claim_cue_records(components.read_patterns("claim_cues"),
                                                         components.read_patterns("claim_lexicons")) if "pattern" in r]
    reference, ours = Matcher(nlp.vocab), TokenRegexMatcher(nlp.vocab)
    for record in records:
        pattern = components.compile_lemmas(record["pattern"], nlp.vocab)
        reference.add(record["id"], [pattern])
        ours.add(record["id"], [pattern])
    for row in sample_rows:
        doc = nlp(row["chunk"])
        matches = reference(doc)
        for sent in doc.sents:
            expected = {(nlp.vocab.strings[k], s) for k, s, e in matches if sent.start <= s and e <= sent.end}
            found = {(k, s) for k, s, e in ours(doc, [x.start for x in doc.sents]) if sent.start <= s and e <= sent.end}
            # spaCy also reports overlapping matches that start later inside one of ours: same keys, a subset of starts
            assert found <= expected
            assert {k for k, _ in found} == {k for k, _ in expected}


def test_a_trained_pipeline_given_by_name_or_path_gets_our_rules_appended(tmp_path):
    # no trained English model can be installed here: a saved pipeline with spaCy's own sentencizer
    # stands in for one (``--nlp`` accepts a package name or a path, as spacy.load does)
    base = spacy.blank("en")
    base.add_pipe("sentencizer")
    base.to_disk(tmp_path / "trained")
    name = str(tmp_path / "trained")
    nlp = load_pipeline(name)
    assert nlp.pipe_names == ["sentencizer", "kg_debris", "kg_entities", "kg_claims"]
    job = TextJob("2401.00001", "Intro. Our model outperforms GPT-4 on MMLU by 3 points.", 0)
    result = extract_batch([job], "https://example.org/kg/", name)
    assert result.claims == 1 and "ontology#outperforms" in result.nquads


@spacy.Language.component("kg_test_fragile")
def _fragile(doc):
    """A real component that cannot read some texts: the failure the batch must survive."""
    if "BREAK" in doc.text:
        raise RuntimeError("cannot read this text")
    return doc


def test_a_text_that_breaks_the_pipeline_is_skipped_and_the_batch_goes_on(tmp_path, caplog):
    base = spacy.blank("en")
    base.add_pipe("sentencizer")
    base.add_pipe("kg_test_fragile")
    base.to_disk(tmp_path / "fragile")
    jobs = [TextJob("2401.00001", "BREAK. We find that it fails.", 0),
            TextJob("2401.00001", "Our model outperforms GPT-4 on MMLU by 3 points.", 1)]
    result = extract_batch(jobs, "https://example.org/kg/", str(tmp_path / "fragile"))
    assert result.claims == 1 and "/chunk/1>" in result.nquads and "/chunk/0>" not in result.nquads
    assert "2401.00001 c0 skipped: RuntimeError: cannot read this text" in caplog.text


@pytest.mark.parametrize(
    ("sentence", "claim_type"),
    [
        ("Experiments on three benchmarks demonstrated considerable enhancements in robustness.", "finding"),
        ("The proposed regularizer proved particularly effective for small datasets.", "finding"),
        ("Adding the auxiliary loss turned out to be crucial for stable training.", "finding"),
        ("Our agent exhibits a strong ability to follow multi-step instructions.", "finding"),
        ("Larger models tend to memorize rare tokens more often.", "finding"),
        ("The main reason is that the retriever rarely returns relevant passages.", "finding"),
        ("The ablation reveals that the gating mechanism accounts for most of the gain.", "finding"),
        ("Surprisingly, smaller learning rates hurt calibration.", "finding"),
        ("The learned representations transfer well to downstream segmentation tasks.", "finding"),
        ("BERT-Large has lower error rates on the out-of-domain split.", "result"),
        ("The detector runs in real time while improving mAP by 3.2 points.", "result"),
        ("Accuracy drops from 81% to 54% when the premise order is shuffled.", "result"),
        ("This is the first work to apply diffusion models to protein design.", "contribution"),
        ("Most models scored below the human average on the emotion test.", "result"),
        ("Pruning half of the heads has little effect on downstream accuracy.", "finding"),
        ("The reward model is more accurate on adversarial prompts than on benign ones.", "comparison"),
        ("The 70B model is rated as safer than ChatGPT by human annotators.", "comparison"),
        ("The pretrained 70B model is the most truthful among the open models we tested.", "comparison"),
        ("With the preprompt, the mean safety reward increases for almost all prompts.", "result"),
        ("Safety tuning barely affects the helpfulness score of the model.", "finding"),
        ("When trained on more data the model consistently outperforms the baseline.", "comparison"),
    ],
)
def test_evaluation_verbs_and_finding_frames_are_claims(sentence, claim_type):
    assert one_claim(sentence).claim_type == claim_type


@pytest.mark.parametrize(
    "sentence",
    [
        "Table 10 shows the distribution of languages, restricted to those found in more than 1% of documents.",
        "Appendix Table 4 lists some examples of refusals we discovered.",
        "Figure 6 illustrates the distribution of response lengths.",
        "We show the overall win rate and the safety rating of several models in",
        "We plot the training loss for each learning rate in Figure 3.",
        "Large language models have demonstrated remarkable abilities across many disciplines.",
        "Retrieval-augmented generation has attracted increasing attention in recent years.",
        "The model is prompted with a task description, which is not shown to annotators.",
        "To show that the method is robust, we run five random seeds.",
        "We keep the responses that have the highest reward score.",
        "Responses with scores above 0.5 are kept for training.",
        "Responses longer than 1,024 tokens are truncated.",
        "The learning rate increases linearly during warmup.",
        "As the reward increases, we reduce the learning rate.",
    ],
    ids=["table-shows-distribution", "table-lists-examples", "figure-illustrates", "we-show-roadmap", "we-plot",
         "field-background", "field-attention", "passive-shown", "purpose-clause", "selection-relative",
         "score-noun", "threshold", "learning-rate-schedule", "adverbial-clause-only"],
)
def test_descriptions_roadmaps_and_field_background_are_not_claims(sentence):
    assert claims_of(sentence) == []


def test_a_description_that_states_an_evaluation_is_a_claim():
    claim = one_claim("Figure 5 exhibits an instance where the model demonstrated the capability to use tools.")
    assert claim.claim_type == "finding"


def test_background_about_the_papers_own_system_is_a_claim():
    names = (("Zorblax", "Method", "Zorblax"),)
    assert claims_of("Zorblax has demonstrated a strong ability to follow instructions.", names=names)


def test_a_purpose_naming_future_research_is_not_future_work():
    claim = one_claim("We release the code and model weights to facilitate future research.")
    assert claim.claim_type == "contribution"


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Although we do not report exact figures, the change demonstrated considerable enhancements.", False),
        ("Even though we do not see a regression, we observe that the model answers more conservatively.", False),
        ("We observed a behaviour not previously reported: the temperature is rescaled per prompt.", False),
        ("As there are no public details, we speculate that the objective reduced its instruction following.", False),
        ("The likely reason is that these models have not undergone instruction tuning.", True),
        ("We have not yet observed any divergence, and hypothesize that updates prevent it.", True),
        ("Llama 2 does not outperform other models on toxicity metrics.", True),
        ("The model shows no improvement on long contexts.", True),
    ],
)
def test_negation_counts_only_in_the_clause_of_the_claim(sentence, negated):
    assert one_claim(sentence).negated is negated


def test_a_mention_inside_a_longer_name_is_not_a_mention():
    found = [t for t, *_ in mentions_of("After RLHF-V3 and our Safety RLHF stage, the model beats ChatGPT.")]
    assert found == ["RLHF-V3", "Safety RLHF", "ChatGPT"]
    assert [t for t, *_ in mentions_of("Safety RLHF: we integrate safety into RLHF.")] == ["Safety RLHF", "RLHF"]
    assert "dialogue" not in [t for t, *_ in mentions_of("We now have a context-dialogue sample.")]


def test_overlapping_gazetteer_names_are_one_longer_name():
    found = mentions_of("We see a lighter tail in the safety reward model score distribution.")
    assert [(t, kind) for t, kind, _ in found] == [("safety reward model", "Method")]


def test_capitalised_words_that_are_not_names_do_not_extend_a_mention():
    found = [t for t, *_ in mentions_of("We compare against Google PaLM and OpenAI GPT-4 on the task.")]
    assert found == ["PaLM", "GPT-4"]


@pytest.mark.parametrize(
    ("sentence", "claim_type"),
    [
        ("About 40% of the sampled answers include a refusal.", "result"),
        ("The hallucination rate becomes lower on both benchmarks after tuning.", "finding"),
        ("The perplexity slope flattens after the first epoch.", "result"),
        ("The rate of unsafe completions steadily declines across rounds.", "result"),
        ("An increase in batch size continues to hurt the calibration of the model.", "finding"),
        ("This change led to a 5% drop in accuracy on held-out tasks.", "result"),
        ("Our model showcased remarkable reasoning ability on unseen puzzles.", "finding"),
        ("Few-shot prompting is a reliable way to elicit step-by-step answers from the model.", "finding"),
        ("The model is able to follow the format despite never seeing it during training.", "finding"),
        ("We posit that these gains are driven by the cleaner pretraining data.", "finding"),
        ("Longer answers are more common in the chat setting, perhaps reflecting the annotators' preferences.",
         "finding"),
        ("The distilled model struggled more than its teacher to follow long instructions.", "comparison"),
        ("Responses from the tuned model are more informative to the annotators.", "comparison"),
        ("We have made strides in reducing the number of false refusals.", "result"),
        ("The loss went 2.1 → 1.7 over three rounds of data refinement.", "result"),
        ("We find that the gains come from data quality, as reported in Smith et al. (2023).", "finding"),
        ("Among the chat models, the tuned one is the safest model across all categories.", "comparison"),
        ("Adding the auxiliary loss yields no significant difference in accuracy.", "finding"),
        ("The automatic safety score correlates well with human judgments of harm.", "finding"),
    ],
)
def test_statistics_trends_explanations_and_evaluations_are_claims(sentence, claim_type):
    assert one_claim(sentence).claim_type == claim_type


@pytest.mark.parametrize(
    "sentence",
    [
        "We believe that open models will speed up progress for everyone in the field.",
        "Ultimately, we hope this release helps smaller labs compete.",
        "Recall that the reward model performs well on both test sets.",
        "I am writing to you because I need your help with my homework.",
        "Sure, here is how you can improve the accuracy of your classifier.",
        "We use a two-stage approach that allows the reward model to improve safety on each sample.",
        "We thus leverage the critic to keep only the samples where it gets a higher score than the baseline.",
    ],
)
def test_vision_reminders_chat_text_and_setup_are_not_claims(sentence):
    assert claims_of(sentence) == []


def test_listed_modifiers_and_versions_belong_to_the_name():
    found = [t for t, *_ in mentions_of("We apply safety context distillation to the pretrained language model.")]
    assert found == ["safety context distillation", "pretrained language model"]
    assert [t for t, *_ in mentions_of("In practice RLHF V3 beats RLHF-v2 on poems.")] == ["RLHF V3", "RLHF-v2"]
    # a lower-case modifier before an acronym is an ordinary adjective: RLHF used for safety
    assert [t for t, *_ in mentions_of("We then run safety RLHF on the chat model.")] == ["RLHF"]


def test_a_metric_name_opening_a_sentence_before_that_is_a_verb():
    assert [t for t, *_ in mentions_of("Recall that the model was tuned twice.")] == []
    assert [t for t, *_ in mentions_of("We report precision and recall on the test set.")] == ["precision", "recall"]


def test_a_plural_of_a_lower_case_name_is_a_mention_of_it():
    assert mentions_of("Two human evaluations agree.") == [("human evaluations", "Method", "human-evaluation")]


def test_a_name_with_a_version_has_one_display_name_however_written():
    ruler = load_pipeline().get_pipe("kg_entities")
    assert {ruler.display(s) for s in ("RLHF v3", "RLHF-V3", "RLHF-v3")} == {"RLHF-V3"}


@pytest.mark.parametrize(
    "sentence",
    [
        "In each round, 10% of the prompts are held out for validation.",
        "Ideally, the answers should be more helpful to the user.",
        "Each prompt is associated with the category it was written for.",
    ],
)
def test_setup_statistics_goals_and_associations_are_not_claims(sentence):
    assert claims_of(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "claim_type"),
    [
        ("The calibration error is 4.1% on the held-out set.", "result"),
        ("The average agreement between annotators was 0.81.", "result"),
        ("We had a 12% failure rate on the math subset.", "result"),
        ("The detector flags about 3% of responses as toxic.", "result"),
        ("The filter assigns a high toxicity score to about 2% of the documents.", "result"),
        ("Our analysis underscores that the reward model favours longer answers.", "finding"),
        ("As shown in Figure 4, the policy appears to overfit after three epochs.", "finding"),
        ("The smaller model was found to hallucinate more often.", "finding"),
        ("The reward model is well calibrated on easy comparisons.", "finding"),
        ("The gap is much smaller on the multilingual benchmark.", "finding"),
        ("Adding retrieval helps even more on long questions.", "comparison"),
        ("Chain-of-thought prompting had a pronounced impact on arithmetic tasks.", "finding"),
        ("The policy quickly learns to exploit the reward model.", "finding"),
        ("Role-play prompts often successfully bypassed the safety filter.", "finding"),
        ("The model's robustness to paraphrases remains limited.", 'finding'),
        ("These differences might influence how annotators rate long answers.", "finding"),
        ("There is a strong correlation between response length and preference.", "finding"),
        ("It is therefore essential to filter the pretraining data.", "finding"),
        ("Some biases may persist after fine-tuning.", "finding"),
        ("GPT-4 is close to human performance on this benchmark.", "comparison"),
        ("The distilled model is twice as fast as the teacher.", "comparison"),
        ("Sampling at a higher temperature made the outputs more diverse.", "comparison"),
        ("The gains are largest for the 7B model.", "finding"),
        ("Performance on arithmetic improves steadily with model size.", "result"),
        ("Tool use emerges from alignment without explicit training.", "finding"),
        ("Prompt injection remains a major vulnerability of current chat models.", "finding"),
        ("These findings are in line with previous work on emotional intelligence.", "finding"),
        ("The model's answers were rated as helpful in most cases.", 'finding'),
        ("Emotional understanding varies widely across models.", "finding"),
        ("Our method shows a clear improvement over the strongest baseline.", "comparison"),
        ("After distillation, the student maintains consistency across long dialogues.", "finding"),
        ("The tuned models hallucinate less on knowledge-intensive prompts.", "comparison"),
        ("Pretraining on more tokens continues to improve performance.", "finding"),
        ("The classifier is highly sensitive to the wording of the prompt.", "finding"),
        ("Raters found the answers of the tuned model to be more empathetic.", "finding"),
        ("Larger reward models are better at ranking similar responses.", "comparison"),
        ("This gap is mainly due to the lack of multilingual data.", "finding"),
        ("Our method is simple yet highly effective.", "finding"),
        ("Most gains come from the first round of annotation.", "finding"),
        ("The distribution of reward scores becomes bimodal after tuning.", "finding"),
        ("Only two models showed an agreement above 0.5 with the experts.", "result"),
        ("Prompt tuning raised the accuracy of the small model from 41 to 58.", "result"),
        ("The distilled model performs at chance level on the hardest split.", "finding"),
        ("The chat model may overfit to the phrasing of the guidelines.", "finding"),
        ("The judge is biased towards answers that cite sources.", "finding"),
        ("The larger classifier performs comparably to the ensemble.", "comparison"),
        ("Non-English text makes up only a small fraction of the corpus.", "result"),
        ("The tuned model answers correctly in 9 out of 10 cases.", "result"),
        ("The ablation turns out to matter little for the final ranking.", "finding"),
        ("The 13B model clearly stands out among the open models.", "finding"),
    ],
)
def test_metric_values_observation_frames_behaviours_and_implicit_comparisons_are_claims(sentence, claim_type):
    assert one_claim(sentence).claim_type == claim_type


@pytest.mark.parametrize(
    "sentence",
    [
        "Thus, to pick the best checkpoints, we first observed the improvement of the rewards on a small set.",
        "Open-ended tasks like judging the overall quality of a story will usually have lower agreement than "
        "labelling tasks.",
        "We reiterate that this choice does imply that further mitigations should be applied before deployment.",
        "The Moon However, there were some is a natural satellite, meaning it is early astronomers, such as "
        "Hipparchus, who measured its distance.",
        "It is important to evaluate models on diverse benchmarks, as they are affected by the choice of prompts.",
        "The win rate is computed as the fraction of prompts where the model is preferred.",
        "Prior work has found that RLHF reduces toxicity (Ouyang et al., 2022).",
        "The reward score is higher when the response follows the guidelines.",
        "Safety is one of the most important considerations when releasing a model.",
        "Sharks have existed for more than 400 million years, much longer than trees.",
        "The learning rate is 0.0001 for all runs.",
        "The model is prompted with a task description, which is not shown to annotators.",
        "For borderline prompts, the ideal response is helpful rather than a refusal.",
        "The maximum score on the test is 10 points per item.",
        "Responses longer than the limit were discarded before annotation.",
        "The evaluation prompts do not overlap with the training prompts.",
        "Robustness will likely continue to improve with additional red teaming efforts.",
        "The context length is increased from 2048 to 4096 tokens.",
        "The annotators choose between four degrees of preference.",
        "The scores are reported for each pair of models.",
    ],
    ids=["procedure-step", "generic-will-usually", "reiterate", "garbled-columns", "advice", "definition",
         "prior-work-found", "condition", "number-word", "world-knowledge", "setting-value", "passive-shown-to",
         "guideline", "scale", "threshold", "data-description", "prediction", "passive-set-up-change",
         "annotation-procedure", "passive-description"],
)
def test_procedures_generic_statements_restatements_and_garbled_text_are_not_claims(sentence):
    assert claims_of(sentence) == []


def test_a_pointer_to_a_figure_does_not_veto_the_finding_it_supports():
    claim = one_claim("We observe that the reward models are well calibrated, as illustrated in Figure 29 in the "
                      "appendix.")
    assert claim.claim_type == "finding"


def test_a_behaviour_verb_counts_after_a_model_name_only():
    assert one_claim("Llama 2-Chat quickly internalizes the system message.").claim_type == "finding"
    assert claims_of("The annotators quickly internalize the guidelines.") == []


def test_cue_patterns_name_lexicons_and_an_unknown_lexicon_is_an_error():
    lexicons = [{"lexicon": "metric_nouns", "words": ["accuracy", "rate"]}]
    [record] = components.claim_cue_records(
        [{"label": "RESULT", "id": "x", "pattern": [{"LOWER": {"IN": ["@metric_nouns", "irr"]}}]}], lexicons)
    assert record["pattern"] == [{"LOWER": {"IN": ["accuracy", "rate", "irr"]}}]
    with pytest.raises(ValueError, match="unknown lexicon '@nope'"):
        components.claim_cue_records([{"label": "RESULT", "id": "x", "pattern": [{"LOWER": {"IN": ["@nope"]}}]}],
                                     lexicons)
