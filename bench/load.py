"""Load and isolation benchmark for ``kg serve`` (loopback only): many concurrent clients, one heavy client
beside light ones, and a flood past capacity. An asyncio + httpx load generator; each client connects
from its own loopback address (127.0.x.y), as distinct users would, so the per-address cap applies to
each alone. Server memory (RSS of the server and its query workers) is sampled every second.

    python bench/synth.py --papers 10000 --output /tmp/synth-10k.jsonl
    kg build --no-claims --store /tmp/store-10k --input /tmp/synth-10k.jsonl
    python bench/load.py --store /tmp/store-10k mix --clients 50 --duration 60
    python bench/load.py --store /tmp/store-10k isolation --light 20 --duration 30
    python bench/load.py --store /tmp/store-10k flood --clients 300 --capacity 32

Scenarios:
- ``mix``: N clients loop over the example queries in ``queries/`` (those without SERVICE), each client
  starting at another query; errors, latency percentiles, requests/s and server memory over the run.
- ``isolation``: L light clients (point lookups) alone, then the same beside one client that sends
  queries which run into the time limit by design; the light clients' p99 with and without it.
- ``flood``: N clients at once, past the server's capacity (``KG_MAX_PENDING_QUERIES``): how many get
  503 with ``Retry-After``, that nothing else fails, and the server's memory and health after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LIGHT = [
    'PREFIX kg: <https://w3id.org/arxiv-kg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> '
    'SELECT ?t WHERE {{ ?p kg:arxivId "{id}" ; dcterms:title ?t }}',
    'PREFIX kg: <https://w3id.org/arxiv-kg/ontology#> PREFIX foaf: <http://xmlns.com/foaf/0.1/> '
    'SELECT ?pos ?name WHERE {{ ?p kg:arxivId "{id}" ; kg:authorship ?a . ?a kg:position ?pos ; kg:author ?x . '
    '?x foaf:name ?name }} ORDER BY ?pos',
]
EXTRA_ENV: dict[str, str] = {}  # --set KG_NAME=value
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def example_queries(skip: tuple[str, ...] = ()) -> dict[str, str]:
    """The example queries that run locally (no SERVICE: no traffic leaves the machine), less ``skip``."""
    found = {}
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if "SERVICE" not in text and path.stem not in skip:
            found[path.stem] = text
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``kg serve`` in a subprocess, with its memory sampled (server + query workers) every second."""

    def __init__(self, store: Path, *, workers: int, timeout: float, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
        environment.update({"KG_QUERY_TIMEOUT_S": str(timeout), "KG_FEDERATION_ALLOW": "", **EXTRA_ENV, **env})
        self.log = open(f"/tmp/kg-load-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(self.port),
             "--workers", str(workers), "--log-level", "warning"],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("kg serve did not start")
            time.sleep(0.2)
        self.memory: list[tuple[float, float]] = []  # (seconds since start, MB)
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def rss_mb(self) -> float:
        pids, total = [self.process.pid], 0
        while pids:
            pid = pids.pop()
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return total / 1024

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self.memory.append((round(time.monotonic() - self._t0, 1), round(self.rss_mb(), 1)))

    def mark(self) -> None:
        self.memory.clear()
        self._t0 = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.retry_after = 0

    def add(self, status: str, seconds: float, retry_after: bool = False) -> None:
        self.statuses[status] += 1
        if status == "200":
            self.latencies.append(seconds)
        self.retry_after += retry_after

    def summary(self, duration: float) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "requests": sum(self.statuses.values()),
            "statuses": dict(self.statuses),
            "ok_per_s": round(len(ms) / duration, 1),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1) if ms else None,
            "retry_after_on_503": self.retry_after,
        }


def address(i: int, block: int = 2) -> str:
    return f"127.0.{block + i // 250}.{1 + i % 250}"


async def client_loop(url: str, queries: list[str], i: int, until: float, tally: Tally, block: int = 2) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address(i, block))
    async with httpx.AsyncClient(transport=transport, timeout=120) as client:
        n = i
        while time.monotonic() < until:
            query = queries[n % len(queries)]
            n += 1
            start = time.perf_counter()
            try:
                response = await client.get(f"{url}/sparql", params={"query": query},
                                            headers={"Accept": "application/sparql-results+json"})
                await response.aread()
                tally.add(str(response.status_code), time.perf_counter() - start,
                          response.status_code == 503 and "retry-after" in response.headers)
            except httpx.HTTPError as err:
                tally.add(type(err).__name__, time.perf_counter() - start)


def paper_ids(url: str, n: int = 200) -> list[str]:
    query = f"PREFIX kg: <https://w3id.org/arxiv-kg/ontology#> SELECT ?id WHERE {{ ?p kg:arxivId ?id }} LIMIT {n}"
    rows = httpx.get(f"{url}/sparql", params={"query": query}, timeout=60).json()["results"]["bindings"]
    return [r["id"]["value"] for r in rows]


def memory_summary(samples: list[tuple[float, float]]) -> dict[str, Any]:
    if not samples:
        return {}
    values = [m for _, m in samples]
    tenth = max(1, len(values) // 10)
    return {
        "first_10pct_median_mb": statistics.median(values[:tenth]),
        "last_10pct_median_mb": statistics.median(values[-tenth:]),
        "peak_mb": max(values),
        "samples": samples[:: max(1, len(samples) // 20)],
    }


def run_mix(args: argparse.Namespace) -> dict[str, Any]:
    queries = example_queries(tuple(args.skip))
    server = Server(args.store, workers=args.workers, timeout=args.timeout, env={})
    try:
        single = {}
        for name, text in queries.items():  # one warm run each: what a query costs alone
            start = time.perf_counter()
            status = httpx.get(f"{server.url}/sparql", params={"query": text}, timeout=120).status_code
            single[name] = (status, round((time.perf_counter() - start) * 1000, 1))
        server.mark()
        tally = Tally()
        until = time.monotonic() + args.duration

        async def main() -> None:
            await asyncio.gather(*(client_loop(server.url, list(queries.values()), i, until, tally)
                                   for i in range(args.clients)))

        asyncio.run(main())
        alive = httpx.get(f"{server.url}/health", timeout=10).status_code
        return {"scenario": "mix", "clients": args.clients, "duration_s": args.duration, "queries": list(queries),
                "alone_ms": single, **tally.summary(args.duration), "memory": memory_summary(server.memory),
                "health_after": alive}
    finally:
        server.stop()


def run_isolation(args: argparse.Namespace) -> dict[str, Any]:
    server = Server(args.store, workers=args.workers, timeout=args.timeout, env={})
    try:
        ids = paper_ids(server.url)
        light = [q.format(id=i) for i in ids for q in LIGHT]

        async def phase(heavy: bool) -> tuple[Tally, Tally]:
            light_tally, heavy_tally = Tally(), Tally()
            until = time.monotonic() + args.duration
            tasks = [client_loop(server.url, light, i, until, light_tally) for i in range(args.light)]
            if heavy:
                tasks.append(client_loop(server.url, [HEAVY], 0, until, heavy_tally, block=9))
            await asyncio.gather(*tasks)
            return light_tally, heavy_tally

        result: dict[str, Any] = {"scenario": "isolation", "light_clients": args.light, "duration_s": args.duration,
                                  "timeout_s": args.timeout, "workers": args.workers, "runs": []}
        for _ in range(args.repeat):  # alternate, so that drifting machine load hits both alike
            alone, _ = asyncio.run(phase(False))
            beside, heavy = asyncio.run(phase(True))
            result["runs"].append({"alone": alone.summary(args.duration), "beside_heavy": beside.summary(args.duration),
                                   "heavy": heavy.summary(args.duration)})
        p99_alone = statistics.median(r["alone"]["p99_ms"] for r in result["runs"])
        p99_beside = statistics.median(r["beside_heavy"]["p99_ms"] for r in result["runs"])
        result.update(p99_alone_ms=p99_alone, p99_beside_heavy_ms=p99_beside,
                      p99_ratio=round(p99_beside / p99_alone, 2))
        return result
    finally:
        server.stop()


def run_flood(args: argparse.Namespace) -> dict[str, Any]:
    env = {"KG_MAX_PENDING_QUERIES": str(args.capacity)}
    server = Server(args.store, workers=args.workers, timeout=args.timeout, env=env)
    try:
        before = server.rss_mb()
        tally = Tally()
        queries = list(example_queries().values())

        async def one(i: int) -> None:
            transport = httpx.AsyncHTTPTransport(local_address=address(i, 20))
            async with httpx.AsyncClient(transport=transport, timeout=120) as client:
                for n in range(args.rounds):
                    start = time.perf_counter()
                    try:
                        r = await client.get(f"{server.url}/sparql", params={"query": queries[(i + n) % len(queries)]})
                        label = str(r.status_code)
                        if r.status_code == 503:
                            label += " at capacity" if "at capacity" in r.text else " time limit or wait"
                        tally.add(label, time.perf_counter() - start,
                                  r.status_code == 503 and "retry-after" in r.headers)
                    except httpx.HTTPError as err:
                        tally.add(type(err).__name__, time.perf_counter() - start)

        async def main() -> None:
            await asyncio.gather(*(one(i) for i in range(args.clients)))

        start = time.monotonic()
        asyncio.run(main())
        elapsed = time.monotonic() - start
        return {"scenario": "flood", "clients": args.clients, "rounds": args.rounds, "capacity": args.capacity,
                "elapsed_s": round(elapsed, 1), **tally.summary(elapsed), "rss_before_mb": round(before, 1),
                "memory": memory_summary(server.memory), "rss_after_mb": round(server.rss_mb(), 1),
                "health_after": httpx.get(f"{server.url}/health", timeout=10).status_code}
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2, help="query worker processes")
    parser.add_argument("--timeout", type=float, default=30.0, help="KG_QUERY_TIMEOUT_S of the server")
    parser.add_argument("--out", type=Path, help="append the result as a JSON line")
    parser.add_argument("--set", action="append", default=[], metavar="KG_NAME=VALUE", help="a server setting")
    sub = parser.add_subparsers(dest="scenario", required=True)
    mix = sub.add_parser("mix")
    mix.add_argument("--clients", type=int, default=50)
    mix.add_argument("--duration", type=float, default=60)
    mix.add_argument("--skip", action="append", default=[], help="leave out this example query (repeatable)")
    iso = sub.add_parser("isolation")
    iso.add_argument("--light", type=int, default=20)
    iso.add_argument("--duration", type=float, default=20)
    iso.add_argument("--repeat", type=int, default=3)
    flood = sub.add_parser("flood")
    flood.add_argument("--clients", type=int, default=300)
    flood.add_argument("--rounds", type=int, default=3)
    flood.add_argument("--capacity", type=int, default=32)
    args = parser.parse_args()
    EXTRA_ENV.update(item.split("=", 1) for item in args.set)
    result = {"mix": run_mix, "isolation": run_isolation, "flood": run_flood}[args.scenario](args)
    result["settings"] = {"workers": args.workers, "timeout_s": args.timeout, **EXTRA_ENV}
    result["machine"] = {"cores": os.cpu_count(), "load_avg_at_end": os.getloadavg(), "platform": platform.platform()}
    print(json.dumps(result, indent=1))
    if args.out:
        with args.out.open("a") as handle:
            handle.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
