"""Endpoint benchmark: ``kg serve`` against ``oxigraph serve-read-only`` on a copy of the same store,
in the same run, with ``wrk -c8`` (Debian package ``wrk``); medians over repeats, ratios to Oxigraph.

    python bench/endpoint.py --store ./kg-store --duration 10 --repeat 3 --out bench/results/endpoint.json

Measures point lookups (a paper's title; its ordered authors), aggregates (papers per category; top
cited) and a 300,000-row SELECT streamed as TSV (time and peak server memory, whole process tree), read
once by curl and once by a Python (httpx) client.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = (
    "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
    "PREFIX kg: <https://w3id.org/arxiv-kg/ontology#> "
)
STREAM_ROWS = 300_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        stack += [int(c) for c in children]
    return total


def wrk(url: str, duration: int, connections: int) -> tuple[float, float]:
    """Requests per second and mean latency (ms) of one wrk run."""
    out = subprocess.run(
        ["wrk", f"-c{connections}", "-t2", f"-d{duration}s", "--timeout", "120s",
         "-H", "Accept: application/sparql-results+json", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    latency = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run of {url}:\n{out}")
    return rps, latency


def stream(url: str, query: str, pid: int, client: str = "curl") -> tuple[float, float, float, int]:
    """Seconds to download a TSV result, memory of the server tree at rest and at peak (GB), rows received.

    ``client`` is ``curl`` (curl piped into ``wc -l``: C programs, as light a reader as a remote client)
    or ``httpx`` (a Python reader on the same two cores, which takes CPU from the server while it reads).
    """
    rest = peak = tree_rss(pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    lines = 0
    if client == "curl":
        command = (f"curl -sS --fail -H 'Accept: text/tab-separated-values' "
                   f"'{url}?query={quote(query)}' | wc -l")
        lines = int(subprocess.run(command, shell=True, capture_output=True, text=True, check=True).stdout)
    else:
        with httpx.stream("GET", url, params={"query": query}, headers={"Accept": "text/tab-separated-values"},
                          timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return seconds, rest / 1e9, peak / 1e9, lines - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a kg store directory (kg build --store ...)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query and server (medians)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument("--only", choices=["rates", "stream"], help="run only the request rates or only the stream")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    parser.add_argument("--server-log", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-server.log",
                        help="where kg serve writes its log (the access log names every non-200 answer)")
    parser.add_argument("--rdflib-endpoint", help="path of an rdflib-endpoint executable: adds it as a reference row "
                        "(install it in its own venv: pip install 'rdflib-endpoint[cli]')")
    args = parser.parse_args()

    version = (args.store / "current").resolve()
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        shutil.copytree(version, work / "oxigraph")
        ox_port, kg_port = free_port(), free_port()
        oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        processes.append(subprocess.Popen(
            [oxigraph, "serve-read-only", "--location", str(work / "oxigraph"), "--bind", f"127.0.0.1:{ox_port}",
             "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # wrk's connections all come from 127.0.0.1: the per-address cap (KG_MAX_CLIENT_QUERIES, 8) would
        # meet requests still running from the previous run's closed connections; it is not what is measured.
        env = {**os.environ, "KG_MAX_RESULT_ROWS": str(10 * STREAM_ROWS), "KG_QUERY_TIMEOUT_S": "600",
               "KG_MAX_CLIENT_QUERIES": str(4 * args.connections)}
        env.pop("KG_UPDATE_TOKEN", None)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--store", str(args.store), "--port", str(kg_port),
             "--http-workers", str(args.http_workers), "--workers", str(args.query_workers), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=args.server_log.open("w")))
        endpoints = {"oxigraph": f"http://127.0.0.1:{ox_port}/query", "kg": f"http://127.0.0.1:{kg_port}/sparql"}
        pids = {"oxigraph": processes[0].pid, "kg": processes[1].pid}
        if args.rdflib_endpoint:
            from kg.store import StoreDirectory

            dump = work / "store.nq"
            opened = StoreDirectory(args.store).open()
            with open(dump, "wb") as out:
                opened.dump_nquads(out)
            opened.close()
            rdflib_port = free_port()
            processes.append(subprocess.Popen(
                [args.rdflib_endpoint, "serve", str(dump), "--host", "127.0.0.1", "--port", str(rdflib_port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            endpoints["rdflib-endpoint"] = f"http://127.0.0.1:{rdflib_port}/"  # it answers at the root
        for url in endpoints.values():
            wait_ready(f"{url}?query={quote('ASK {}')}")

        row = httpx.get(endpoints["kg"], params={"query": PREFIXES + "SELECT ?p WHERE { ?p kg:authorship ?a ; "
                                                 "dcterms:title ?t } LIMIT 1"}).json()["results"]["bindings"][0]
        paper = row["p"]["value"]
        triples = int(httpx.get(endpoints["kg"], params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
                      .json()["results"]["bindings"][0]["n"]["value"])
        queries = {
            "lookup: title": PREFIXES + f"SELECT ?t WHERE {{ <{paper}> dcterms:title ?t }}",
            "lookup: ordered authors": PREFIXES + f"SELECT ?pos ?name WHERE {{ <{paper}> kg:authorship ?a . "
            "?a kg:position ?pos ; kg:author ?x . ?x foaf:name ?name } ORDER BY ?pos",
            "aggregate: papers per category": (ROOT / "queries" / "papers-per-category.rq").read_text(),
            "aggregate: top cited": (ROOT / "queries" / "top-cited.rq").read_text(),
        }
        results: dict[str, dict[str, list[float]]] = {}
        for name, query in queries.items() if args.only != "stream" else ():
            for _ in range(args.repeat):
                for server, url in endpoints.items():
                    try:
                        rps, latency = wrk(f"{url}?query={quote(query)}", args.duration, args.connections)
                    except RuntimeError as err:
                        failed = [line for line in args.server_log.read_text(errors="replace").splitlines()
                                  if ("kg.server.access" in line and '"status": 200' not in line)
                                  or "ERROR" in line or "WARNING" in line]
                        raise RuntimeError(f"{err}\n{server}'s log:\n" + "\n".join(failed[-20:])) from None
                    results.setdefault(name, {}).setdefault(f"{server} rps", []).append(rps)
                    results[name].setdefault(f"{server} ms", []).append(latency)
        big = (f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {STREAM_ROWS}" if triples >= STREAM_ROWS else
               f"SELECT * WHERE {{ ?s ?p ?o . ?s2 ?p2 ?o2 }} LIMIT {STREAM_ROWS}")
        streams: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.repeat if args.only != "rates" else 0):
            for client in ("curl", "httpx"):
                for server, url in endpoints.items():
                    if server not in pids:
                        continue  # the reference engines only run the request-rate part
                    seconds, rest, peak, rows = stream(url, big, pids[server], client)
                    assert rows == STREAM_ROWS, (server, client, rows)
                    streams.setdefault(server, {}).setdefault(f"{client} s", []).append(seconds)
                    streams[server].setdefault("peak GB", []).append(peak)
                    streams[server].setdefault("rest GB", []).append(rest)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; store {args.store} "
          f"({triples} triples); wrk -c{args.connections} -d{args.duration}s x{args.repeat} (medians); "
          f"kg serve --http-workers {args.http_workers} --workers {args.query_workers}")
    reference = "rdflib-endpoint" in endpoints
    extra_head = " rdflib-endpoint req/s | ratio |" if reference else ""
    print(f"| query | Oxigraph req/s | kg req/s | ratio | Oxigraph ms | kg ms |{extra_head}")
    print("|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if reference else ""))
    summary: dict[str, object] = {"triples": triples, "repeat": args.repeat, "duration": args.duration}
    for name, figures in results.items():
        med = {k: statistics.median(v) for k, v in figures.items()}
        ratio = med["kg rps"] / med["oxigraph rps"] if med["oxigraph rps"] else float("nan")
        summary[name] = {**med, "ratio": ratio}
        extra = (f" {med['rdflib-endpoint rps']:.1f} | {med['rdflib-endpoint rps'] / med['oxigraph rps']:.3f}x |"
                 if reference else "")
        print(f"| {name} | {med['oxigraph rps']:.3g} | {med['kg rps']:.3g} | {ratio:.2f}x | "
              f"{med['oxigraph ms']:.2f} | {med['kg ms']:.2f} |{extra}")
    if not streams:
        return _write(args.out, summary)
    ox_m, kg_m = max(streams["oxigraph"]["peak GB"]), max(streams["kg"]["peak GB"])
    ox_r, kg_r = min(streams["oxigraph"]["rest GB"]), min(streams["kg"]["rest GB"])
    summary["stream"] = {"oxigraph peak GB": ox_m, "kg peak GB": kg_m, "oxigraph rest GB": ox_r, "kg rest GB": kg_r}
    for client in ("curl", "httpx"):
        ox_s = statistics.median(streams["oxigraph"][f"{client} s"])
        kg_s = statistics.median(streams["kg"][f"{client} s"])
        print(f"| {STREAM_ROWS:,}-row SELECT as TSV, read by {client} (time; server memory at rest -> peak) | "
              f"{ox_s:.2f} s; {ox_r:.2f} -> {ox_m:.2f} GB | {kg_s:.2f} s; {kg_r:.2f} -> {kg_m:.2f} GB | "
              f"{kg_s / ox_s:.2f}x time | | |")
        summary["stream"].update({f"oxigraph {client} s": ox_s, f"kg {client} s": kg_s})
    return _write(args.out, summary)


def _write(out: Path | None, summary: dict[str, object]) -> int:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
