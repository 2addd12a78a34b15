"""A query that runs past ``KG_QUERY_DEMOTE_AFTER_S`` drops to nice 10 so that short queries go first,
and its low priority ends with it: the worker's next query runs at the normal priority again, also for a
server without the privilege to raise a priority back (root here runs it without ``CAP_SYS_NICE``)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

# Every triple times every rdf:type triple, counted: some seconds of work on the sample, inside the limit.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d a ?e }"


@pytest.fixture(scope="module")
def server(sample_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    unprivileged: tuple[str, ...] = ()
    if os.geteuid() == 0:
        assert shutil.which("setpriv"), "setpriv (util-linux) drops CAP_SYS_NICE for this test"
        unprivileged = ("setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice")
    live = start_server(sample_store_dir, tmp_path_factory.mktemp("priority"), workers=1, timeout_s=60,
                        wrapper=unprivileged, KG_QUERY_DEMOTE_AFTER_S="0.2")
    yield live
    live.stop()


def thread_nice_values(root: int) -> list[int]:
    """The nice value of every thread of ``root`` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    pids, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        pids += children
        frontier = children
    values = []
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                values.append(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
            except OSError:
                continue
    return values


def count(server: LiveServer, pattern: str) -> int:
    response = httpx.get(server.url + "/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"})
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_long_query_is_demoted_and_the_next_query_runs_at_normal_priority(server: LiveServer) -> None:
    expected = count(server, "?a ?b ?c") * count(server, "?d a ?e")
    answer: dict[str, httpx.Response] = {}
    worker = threading.Thread(target=lambda: answer.setdefault(
        "slow", httpx.get(server.url + "/sparql", params={"query": SLOW}, timeout=60)))
    worker.start()
    seen: set[int] = set()
    while worker.is_alive():
        seen.update(thread_nice_values(server.process.pid))
        time.sleep(0.05)
    worker.join()
    assert answer["slow"].status_code == 200
    assert answer["slow"].json()["results"]["bindings"][0]["n"]["value"] == str(expected)
    assert 10 in seen  # demoted while it ran
    quick = httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert quick.json()["boolean"] is True
    assert set(thread_nice_values(server.process.pid)) == {0}  # the low priority ended with the query
