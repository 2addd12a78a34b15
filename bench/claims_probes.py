"""Claim decisions on sentences written by hand to probe the rule classes (not from the sample).

    .venv/bin/python bench/claims_probes.py                # per probe set: claims found, false claims
    .venv/bin/python bench/claims_probes.py --show-errors

``tests/data/claims-probes.jsonl`` holds 685 sentences in 21 sets (380 claims, 305 non-claims: set-up,
definitions, background, chat output, world knowledge, captions) written during the fourth round of
rules by the rules' author, each set before the rules were run on it; the rules were then changed by
class after each set's misses. So the final figures are tuned on; the first-look figures per set are in
docs/extraction.md. A claim is counted found when the pipeline finds a claim in its sentence.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from kg.extract.claims import TextJob, docs_for, find_claims

PROBES = Path(__file__).resolve().parents[1] / "tests" / "data" / "claims-probes.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter[tuple[int, str]] = Counter()
    for row, doc in zip(rows, docs_for([TextJob("probe", r["text"], 0) for r in rows]), strict=True):
        found = bool(find_claims(doc))
        kind = "claims" if row["claim"] else "non-claims"
        counts[(row["set"], kind)] += 1
        counts[(row["set"], "found" if row["claim"] and found else "false" if found else "ok")] += 1
        if args.show_errors and found != row["claim"]:
            print(f"{'FN' if row['claim'] else 'FP'} [set {row['set']}] {row['text']}")
    print("set  claims found  false claims")
    for n in sorted({s for s, _ in counts}):
        found, claims = counts[(n, "found")], counts[(n, "claims")]
        print(f"{n:>3}  {found:>4}/{claims:<5}  {counts[(n, 'false')]:>4}/{counts[(n, 'non-claims')]}")
    total = {k: sum(v for (_, kk), v in counts.items() if kk == k) for k in ("found", "claims", "false", "non-claims")}
    print(f"all  {total['found']:>4}/{total['claims']:<5}  {total['false']:>4}/{total['non-claims']}")


if __name__ == "__main__":
    main()
