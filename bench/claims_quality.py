"""Precision and recall of the claims and entities pipeline against the hand-labelled sample sentences.

    .venv/bin/python bench/claims_quality.py                 # the newest split (heldoutN with the largest N): heldout5
    .venv/bin/python bench/claims_quality.py --split heldout4  # labelled blind; tuned on since round 4
    .venv/bin/python bench/claims_quality.py --split heldout3  # labelled blind; tuned on since round 3
    .venv/bin/python bench/claims_quality.py --split heldout2  # tuned on since (was the second fresh set)
    .venv/bin/python bench/claims_quality.py --split heldout   # tuned on (the first held-out third)
    .venv/bin/python bench/claims_quality.py --split dev     # the part the rules were written against
    .venv/bin/python bench/claims_quality.py --show-errors

A labelled sentence counts as predicted a claim when a claim span the pipeline found covers at least
half of its characters. An entity mention is correct when its text equals (case-folded) one of the
entities labelled in the same sentence; each labelled entity can be matched once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from kg.extract.claims import TextJob, abstract_job, chunk_job, docs_for, find_claims
from kg.extract.entities import find_mentions
from kg.sources import read_inputs
from kg.sources.readers import sample_path
from kg.sources.records import SourceRecord

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "claims-labelled.jsonl"


def sample_jobs() -> dict[tuple[str, str], TextJob]:
    jobs: dict[tuple[str, str], TextJob] = {}
    for record in read_inputs([sample_path()]):
        if not isinstance(record, SourceRecord):
            continue
        job = abstract_job(record.paper)
        if job:
            jobs[(record.paper.arxiv_id, "abstract")] = job
        if record.chunk is not None:
            jobs[(record.paper.arxiv_id, str(record.chunk.index))] = chunk_job(record.chunk, record.paper)
    return jobs


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def evaluate(split: str, nlp_name: str | None = None, show_errors: bool = False) -> dict[str, float]:
    labelled = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    labelled = [x for x in labelled if split == "all" or x["split"] == split]
    jobs = sample_jobs()
    keys = sorted({(x["arxiv_id"], str(x["context"])) for x in labelled})
    found = {}
    for key, doc in zip(keys, docs_for([jobs[k] for k in keys], nlp_name), strict=True):
        mentions = find_mentions(doc)
        found[key] = (find_claims(doc, mentions), mentions)
    c = Counter()
    for item in labelled:
        key = (item["arxiv_id"], str(item["context"]))
        text = jobs[key].text
        begin = text.find(item["text"])
        if begin < 0:
            raise SystemExit(f"labelled sentence {item['id']} not found in its context {key}")
        end = begin + len(item["text"])
        claims, mentions = found[key]
        hit = next((cl for cl in claims if min(end, cl.end) - max(begin, cl.begin) >= (end - begin) / 2), None)
        gold = item["claim"]
        c["tp" if gold and hit else "fp" if hit else "fn" if gold else "tn"] += 1
        if gold and hit:
            c["type_ok"] += hit.claim_type == item["type"]
            c["neg_ok"] += hit.negated == item["negated"]
            c["hedge_ok"] += hit.hedged == item["hedged"]
        if show_errors and bool(hit) != gold:
            print(f"{'FP' if hit else 'FN'} [{item['id']}] {item['text'][:160]}", file=sys.stderr)
        gold_entities = Counter(e["text"].casefold() for e in item["entities"])
        gold_types = {e["text"].casefold(): e["type"] for e in item["entities"]}
        for m in mentions:
            if begin <= m.begin and m.end <= end:
                c["ent_pred"] += 1
                k = m.text.casefold()
                if gold_entities[k] > 0:
                    gold_entities[k] -= 1
                    c["ent_tp"] += 1
                    c["ent_type_ok"] += gold_types[k] == m.entity_type
                elif show_errors:
                    print(f"  entity FP [{item['id']}] {m.text!r} ({m.entity_type})", file=sys.stderr)
        c["ent_gold"] += len(item["entities"])
        if show_errors:
            for k, n in gold_entities.items():
                if n > 0:
                    print(f"  entity FN [{item['id']}] {k!r}", file=sys.stderr)
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return {
        "sentences": len(labelled),
        "claims_labelled": tp + fn,
        "claim_precision": ratio(tp, tp + fp),
        "claim_recall": ratio(tp, tp + fn),
        "claim_type_accuracy": ratio(c["type_ok"], tp),
        "negated_accuracy": ratio(c["neg_ok"], tp),
        "hedged_accuracy": ratio(c["hedge_ok"], tp),
        "entity_mentions_predicted": c["ent_pred"],
        "entity_mentions_labelled": c["ent_gold"],
        "entity_precision": ratio(c["ent_tp"], c["ent_pred"]),
        "entity_recall": ratio(c["ent_tp"], c["ent_gold"]),
        "entity_type_accuracy": ratio(c["ent_type_ok"], c["ent_tp"]),
    }


def label_splits() -> list[str]:
    """The splits the labels file holds, newest first (``heldout5``, ``heldout4``, ..., ``heldout``, ``dev``)."""
    splits = {json.loads(line)["split"] for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()}

    def order(name: str) -> tuple[int, int]:
        digits = name.removeprefix("heldout")
        return (name.startswith("heldout"), int(digits) if digits.isdigit() else 1 if digits == "" else 0)
    return sorted(splits, key=order, reverse=True)


def main() -> None:
    splits = label_splits()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=[*splits, "all"], default=splits[0])
    parser.add_argument("--nlp", help="an installed trained spaCy pipeline to use instead of the rules alone")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    scores = evaluate(args.split, args.nlp, args.show_errors)
    width = max(map(len, scores))
    print(f"split: {args.split}")
    for name, value in scores.items():
        print(f"{name:<{width}}  {value:.3f}" if isinstance(value, float) else f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
