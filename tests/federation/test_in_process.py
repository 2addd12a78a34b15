"""A query with SERVICE never runs in the server process, however fast it was: it always goes to a
query worker, through the allowlist and our federation client (the proven-fast shortcut is local only)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server


@pytest.fixture(scope="module")
def federating_server(sample_store_dir: Path, fixture_servers: dict[str, str],
                      tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    live = start_server(sample_store_dir, tmp_path_factory.mktemp("in-process"),
                        KG_FEDERATION_ALLOW=" ".join(fixture_servers.values()), KG_FEDERATION_CACHE_S="0",
                        KG_QUERY_INLINE_MS="60000")  # any local query would be proven fast
    yield live
    live.stop()


def in_process(client: httpx.Client) -> int:
    return int(re.search(r"^kg_queries_in_process_total (\d+)$", client.get("/metrics").text, re.M).group(1))  # type: ignore[union-attr]


def test_service_queries_always_go_to_a_worker_while_local_ones_are_proven(
    federating_server: LiveServer, fixture_servers: dict[str, str]
) -> None:
    fixture = next(iter(fixture_servers.values()))
    remote = {"query": f"SELECT * WHERE {{ SERVICE <{fixture}> {{ ?s ?p ?o }} }} LIMIT 3"}
    local = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}
    with httpx.Client(base_url=federating_server.url, timeout=30) as client:
        before = in_process(client)
        remote_answers = [client.get("/sparql", params=remote) for _ in range(3)]
        assert [r.status_code for r in remote_answers] == [200, 200, 200]
        assert len(remote_answers[0].json()["results"]["bindings"]) == 3
        assert in_process(client) == before
        local_answers = [client.get("/sparql", params=local).json() for _ in range(3)]
        assert local_answers[0] == local_answers[1] == local_answers[2]
        assert in_process(client) == before + 2
