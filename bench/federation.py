"""Benchmark: pyoxigraph's own SERVICE evaluation against our bind join, on a large remote table.

A loopback `oxigraph serve-read-only` holds N arXiv ids in Wikidata's shape (wdt:P818), behind the logging
proxy of the tests; the local side is the bundled sample. Each evaluation runs --repeat times, alternating,
and the medians are printed with the bytes each one downloaded.

    .venv/bin/python bench/federation.py --remote-ids 50000 --repeat 5
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from kg.build import build
from kg.federation import Federation
from kg.settings import Settings
from kg.store import StoreDirectory
from kg.vocab import DEFAULT_BASE_IRI
from tests.federation.conftest import LoggingProxy, OxigraphServer

QUERIES = {
    "2 papers (fabio:Preprint)": (
        "PREFIX fabio: <http://purl.org/spar/fabio/>\nPREFIX kg: <https://w3id.org/arxiv-kg/ontology#>\n"
        "SELECT ?p ?item WHERE {{ ?p a fabio:Preprint ; kg:arxivId ?id . "
        "SERVICE <{url}> {{ ?item <http://www.wikidata.org/prop/direct/P818> ?id }} }}"
    ),
    "every arXiv id of the graph": (
        "PREFIX kg: <https://w3id.org/arxiv-kg/ontology#>\n"
        "SELECT ?p ?item WHERE {{ ?p kg:arxivId ?id . "
        "SERVICE <{url}> {{ ?item <http://www.wikidata.org/prop/direct/P818> ?id }} }}"
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remote-ids", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    data = root / "remote.nt"
    with data.open("w") as out:
        for n in range(args.remote_ids - 2):
            out.write(f'<http://www.wikidata.org/entity/Q{1_000_000 + n}> '
                      f'<http://www.wikidata.org/prop/direct/P818> "2401.{n:05d}" .\n')
        for q, arxiv_id in (("Q900001", "2307.09288"), ("Q900002", "2307.09042")):
            out.write(f'<http://www.wikidata.org/entity/{q}> <http://www.wikidata.org/prop/direct/P818> '
                      f'"{arxiv_id}" .\n')
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    store = StoreDirectory(root / "store").open()
    print(f"machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}")
    print(f"remote: {args.remote_ids} ids; repeats: {args.repeat} (medians)\n")
    print("| local side | evaluation | median time | requests | bytes received |")
    print("|---|---|---|---|---|")
    with OxigraphServer.run(data, root / "remote") as server:
        proxy = LoggingProxy(server.url).start()
        federation = Federation(Settings(federation_allow=[proxy.url], federation_cache_s=0))
        try:
            for label, template in QUERIES.items():
                query = template.format(url=proxy.url)
                timings: dict[str, list[float]] = {"pyoxigraph SERVICE": [], "kg bind join": []}
                traffic: dict[str, tuple[int, int]] = {}
                for _ in range(args.repeat):
                    for name, run in (("pyoxigraph SERVICE", lambda q=query: list(store.query(q))),
                                      ("kg bind join", lambda q=query: list(federation.execute(store, q)))):
                        proxy.reset()
                        start = time.perf_counter()
                        rows = run()
                        timings[name].append(time.perf_counter() - start)
                        traffic[name] = (len(proxy.exchanges), proxy.bytes_received)
                        assert len(rows) == 2, (name, len(rows))
                for name, values in timings.items():
                    requests, received = traffic[name]
                    print(f"| {label} | {name} | {statistics.median(values) * 1000:.1f} ms | {requests} | "
                          f"{received:,} |")
        finally:
            proxy.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
