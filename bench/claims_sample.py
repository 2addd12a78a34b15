r"""Draw sentences to label by hand: the project's own segmentation of the sample, minus sentences already labelled.

    .venv/bin/python bench/claims_sample.py                    # how the `heldout2` split was drawn
    .venv/bin/python bench/claims_sample.py --seed 20261127 --count 150 \
        --exclude dev --exclude heldout --exclude heldout2     # how the `heldout3` split was drawn
    .venv/bin/python bench/claims_sample.py --seed 20261128 --count 150 --exclude dev \
        --exclude heldout --exclude heldout2 --exclude heldout3  # how the `heldout4` split was drawn
    .venv/bin/python bench/claims_sample.py --seed 20261129 --count 150 --exclude dev --exclude heldout \
        --exclude heldout2 --exclude heldout3 --exclude heldout4  # how the `heldout5` split was drawn

With --count, the sentences are shared between the papers in proportion to how many unlabelled sentences
each has (largest remainder), then drawn at random within each paper.

Prints only the sentence strings (paper, context, text), never what the pipeline made of them, so the
labels can be written before the claim and entity rules are run on those sentences.
"""

from __future__ import annotations

import argparse
import json
import random

from claims_quality import LABELS, sample_jobs

from kg.extract.claims import docs_for


def proportional(pool: list[dict[str, str]], count: int) -> dict[str, int]:
    """Share `count` between the papers in proportion to their sentences in `pool` (largest remainder)."""
    sizes: dict[str, int] = {}
    for p in pool:
        sizes[p["arxiv_id"]] = sizes.get(p["arxiv_id"], 0) + 1
    total = sum(sizes.values())
    if count > total:
        raise SystemExit(f"--count {count}: only {total} unlabelled sentences are left")
    shares = {k: count * n / total for k, n in sorted(sizes.items())}
    out = {k: int(v) for k, v in shares.items()}
    for k in sorted(shares, key=lambda k: (out[k] - shares[k], k))[: count - sum(out.values())]:
        out[k] += 1
    return out


def draw(
    seed: int, per_paper: dict[str, int] | None, exclude_splits: set[str], count: int | None = None
) -> list[dict[str, str]]:
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
    if per_paper is None:
        per_paper = proportional(pool, count or 0)
    rng = random.Random(seed)
    picked = []
    for arxiv_id, n in per_paper.items():
        picked += rng.sample([p for p in pool if p["arxiv_id"] == arxiv_id], n)
    return sorted(picked, key=lambda p: (p["arxiv_id"], -1 if p["context"] == "abstract" else int(p["context"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--count", type=int, help="sentences to draw, shared in proportion to the papers")
    parser.add_argument("--exclude", action="append", help="a labelled split to leave out (repeatable)")
    args = parser.parse_args()
    if args.count is None:
        # heldout2 was drawn when only `dev` and `heldout` existed, 62 + 20 sentences
        rows = draw(args.seed, {"2307.09288": 62, "2307.09042": 20}, set(args.exclude or ["dev", "heldout"]))
    else:
        rows = draw(args.seed, None, set(args.exclude or ["dev", "heldout", "heldout2"]), args.count)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
