"""Benchmark of ``kg validate``: Oxigraph + batched pySHACL against pySHACL alone on the whole graph.

    python bench/synth.py --papers 1000 --chunks-per-paper 10 --output /tmp/synth-1k.jsonl
    kg build --input /tmp/synth-1k.jsonl --store /tmp/store-1k
    python bench/validate.py --store /tmp/store-1k --repeat 3

Prints the median seconds and peak anonymous memory of each way, and their ratio. Each run is a
fresh process (so memory peaks do not mix). pySHACL alone can take minutes on 1,000 papers;
``--skip-baseline`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, sys, threading, time
peak = [0]
def sample():
    while True:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
from kg.store import StoreDirectory
from kg.validate import to_rdflib, validate_graph, validate_store
store = StoreDirectory(sys.argv[1]).open()
start = time.perf_counter()
if sys.argv[2] == "pyshacl-alone":
    report = validate_graph(to_rdflib(store.quads()))
else:
    report = validate_store(store)
seconds = time.perf_counter() - start
time.sleep(0.1)
print(json.dumps({"seconds": seconds, "peak_anon_mb": peak[0] / 1024, "conforms": report.conforms,
                  "results": len(report.results), "triples": report.triples}))
"""


def run(store: Path, way: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(store), way], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a built store directory")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way (median reported)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run pySHACL alone")
    args = parser.parse_args()
    ways = ["kg-validate"] + ([] if args.skip_baseline else ["pyshacl-alone"])
    medians: dict[str, dict[str, float]] = {}
    for way in ways:
        runs = []
        for i in range(args.repeat):
            started = time.perf_counter()
            runs.append(run(args.store, way))
            print(f"{way} run {i + 1}: {runs[-1]} ({time.perf_counter() - started:.1f} s wall)", file=sys.stderr)
        medians[way] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_anon_mb": statistics.median(r["peak_anon_mb"] for r in runs),
            "triples": runs[0]["triples"],
        }
    print(json.dumps(medians, indent=2))
    if "pyshacl-alone" in medians:
        ratio = medians["kg-validate"]["seconds"] / medians["pyshacl-alone"]["seconds"]
        print(f"kg validate takes {ratio:.2f}x the time of pySHACL alone", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
