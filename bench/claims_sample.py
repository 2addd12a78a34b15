"""Draw sentences to label by hand: the project's own segmentation of the sample, minus sentences already labelled.

    .venv/bin/python bench/claims_sample.py                    # how the `heldout2` split was drawn

Prints only the sentence strings (paper, context, text), never what the pipeline made of them, so the
labels can be written before the claim and entity rules are run on those sentences.
"""

from __future__ import annotations

import argparse
import json
import random

from claims_quality import LABELS, sample_jobs

from kg.extract.claims import docs_for


def draw(seed: int, per_paper: dict[str, int], exclude_splits: set[str]) -> list[dict[str, str]]:
    labelled = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    known = {x["text"] for x in labelled if x["split"] in exclude_splits}
    jobs = sample_jobs()
    keys = sorted(jobs)
    pool: list[dict[str, str]] = []
    for key, doc in zip(keys, docs_for([jobs[k] for k in keys]), strict=True):
        for sent in doc.sents:
            text = sent.text.strip()
            if text and text not in known:
                pool.append({"arxiv_id": key[0], "context": key[1], "text": text})
    rng = random.Random(seed)
    picked = []
    for arxiv_id, n in per_paper.items():
        picked += rng.sample([p for p in pool if p["arxiv_id"] == arxiv_id], n)
    return sorted(picked, key=lambda p: (p["arxiv_id"], -1 if p["context"] == "abstract" else int(p["context"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    # heldout2 was drawn when only `dev` and `heldout` existed, 62 + 20 sentences
    for row in draw(args.seed, {"2307.09288": 62, "2307.09042": 20}, {"dev", "heldout"}):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
