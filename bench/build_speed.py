"""Build speed: ``kg build`` (metadata, authors, categories, citations, chunks; no claims) against
``oxigraph load`` of the very quads that build produced, run side by side on a synthetic corpus.

    python bench/build_speed.py --papers 1000 --repeats 3
    python bench/build_speed.py --papers 10000 --shape arxiv-snapshot --repeats 3
    python bench/build_speed.py --papers 1000 --repeats 3 --scheduler dask    # the sharded path instead
    python bench/build_speed.py --papers 1000 --repeats 3 --workers 2         # two mapping processes

Each repeat runs the build, dumps what it stored to N-Quads (``oxigraph dump``, not timed), then loads that
file with ``oxigraph load``, each in a fresh directory and a child process; the
report gives medians of wall time, peak resident memory of each child (``wait4``), quads per second,
the ratio build / load, and the store size per paper. Runs alternate so that machine noise hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def run(cmd: list[str], *, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a child process; its wall time and peak RSS (from ``wait4``, so only this child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b""))


def kg_build_command(corpus: Path, store: Path, scheduler: str | None, workers: int | None = None) -> list[str]:
    cmd = [str(BIN / "kg"), "build", "--input", str(corpus), "--store", str(store)]
    help_text = subprocess.run([str(BIN / "kg"), "build", "--help"], capture_output=True, text=True).stdout
    if "--no-claims" in help_text:
        cmd.append("--no-claims")
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    return cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="kg build vs oxigraph load of the same quads, on a synthetic corpus.",
        epilog="example:\n  python bench/build_speed.py --papers 1000 --repeats 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--shape", choices=["ai-arxiv", "arxiv-snapshot"], default="ai-arxiv")
    parser.add_argument("--chunks-per-paper", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scheduler", help="build through the sharded path (local, dask, tcp://...)")
    parser.add_argument("--workers", type=int, help="kg build --workers (without claims: mapping processes)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kg-bench"))
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.chunks_per_paper}c" if args.shape == "ai-arxiv" else ""
    corpus = args.workdir / f"synth-{args.shape}-{args.papers}{suffix}-s{args.seed}.jsonl"
    if not corpus.exists():
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), "--papers", str(args.papers), "--shape", args.shape,
             "--seed", str(args.seed), "--chunks-per-paper", str(args.chunks_per_paper), "--output", str(corpus)],
            check=True,
        )
    rows = count_lines(corpus)
    quads_file = args.workdir / "build-output.nq"
    builds: list[dict[str, float]] = []
    loads: list[dict[str, float]] = []
    store_bytes = 0
    quads = 0
    for repeat in range(args.repeats):
        store = args.workdir / "store"
        loaded = args.workdir / "oxigraph-load"
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(loaded, ignore_errors=True)
        build = run(kg_build_command(corpus, store, args.scheduler, args.workers))
        # the loader's input: the quads the build stored, dumped (untimed) rather than written by the build
        # with --output, which would add writing a second copy to the build's time
        subprocess.run([str(BIN / "oxigraph"), "dump", "--location", str(store / "current"),
                        "--file", str(quads_file)], check=True)
        quads = count_lines(quads_file)
        store_bytes = dir_size(store / "current")
        load = run([str(BIN / "oxigraph"), "load", "--location", str(loaded), "--file", str(quads_file)])
        builds.append(build)
        loads.append(load)
        print(f"repeat {repeat + 1}: build {build['wall_s']:.1f} s, {build['cpu_s']:.1f} CPU-s "
              f"({build['peak_rss_mb']:.0f} MB), oxigraph load {load['wall_s']:.1f} s, {load['cpu_s']:.1f} CPU-s "
              f"({load['peak_rss_mb']:.0f} MB), load average {os.getloadavg()[0]:.2f}", file=sys.stderr)

    def median(items: list[dict[str, float]], key: str) -> float:
        return statistics.median(i[key] for i in items)

    figures: dict[str, Any] = {
        "papers": args.papers, "shape": args.shape, "rows": rows, "quads": quads, "repeats": args.repeats,
        "scheduler": args.scheduler or "in-process", "workers": args.workers,
        "build_s": median(builds, "wall_s"), "build_peak_mb": median(builds, "peak_rss_mb"),
        "load_s": median(loads, "wall_s"), "load_peak_mb": median(loads, "peak_rss_mb"),
        "build_cpu_s": median(builds, "cpu_s"), "load_cpu_s": median(loads, "cpu_s"),
        "load_average": os.getloadavg(),
        "store_bytes_per_paper": store_bytes / args.papers,
    }
    figures["ratio"] = figures["build_s"] / figures["load_s"]
    figures["build_quads_per_s"] = quads / figures["build_s"]
    figures["load_quads_per_s"] = quads / figures["load_s"]
    figures["build_rows_per_s"] = rows / figures["build_s"]
    print(
        f"| {args.papers:,} ({args.shape}) | {rows:,} | {quads:,} | {figures['build_s']:.1f} s "
        f"({figures['build_quads_per_s'] / 1000:.0f}k q/s, {figures['build_peak_mb']:.0f} MB) | "
        f"{figures['load_s']:.1f} s ({figures['load_quads_per_s'] / 1000:.0f}k q/s, "
        f"{figures['load_peak_mb']:.0f} MB) | "
        f"{figures['ratio']:.2f} | {figures['store_bytes_per_paper'] / 1024:.1f} KiB |"
    )
    print(f"CPU (median): build {figures['build_cpu_s']:.1f} s, oxigraph load {figures['load_cpu_s']:.1f} s, "
          f"ratio {figures['build_cpu_s'] / figures['load_cpu_s']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
