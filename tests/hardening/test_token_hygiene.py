"""The update token: compared in constant time, never printed; every write is logged with who and what."""

from __future__ import annotations

import inspect
import json
import sys
import time
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.server import security
from kg.server.audit import fingerprint
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.live_server import LiveServer, start_server

TOKEN = "tok-7f3a9c0e51b24d6b8e2f"
WRONG = "tok-wrong-0000000000000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("token")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI, claims=False)
    live = start_server(root / "store", root, token=TOKEN, workers=1)
    yield live
    live.stop()


def audit_lines(server: LiveServer) -> list[dict]:
    lines = []
    for line in server.log.read_text(errors="replace").splitlines():
        if "kg.server.audit" in line:
            lines.append(json.loads(line[line.index("{"):]))
    return lines


def test_the_token_is_compared_with_hmac_compare_digest() -> None:
    assert "hmac.compare_digest" in inspect.getsource(security.token_matches)


def test_writes_are_logged_with_who_and_what_and_the_token_is_never_printed(server: LiveServer) -> None:
    insert = "INSERT DATA { GRAPH <urn:audit> { <urn:a> <urn:b> " + '"' + "y" * 800 + '"' + " } }"
    right = {"Authorization": f"Bearer {TOKEN}"}
    wrong = {"Authorization": f"Bearer {WRONG}"}
    assert httpx.post(server.sparql, data={"update": insert}, headers=right).status_code == 204
    assert httpx.post(server.sparql, data={"update": insert}, headers=wrong).status_code == 403
    assert httpx.post(server.sparql, data={"update": insert}).status_code == 401
    turtle = "<urn:x> <urn:y> <urn:z> ."
    assert httpx.put(f"{server.url}/store", params={"graph": "urn:gsp"}, content=turtle,
                     headers={**right, "Content-Type": "text/turtle"}).status_code in (201, 204)
    assert httpx.put(f"{server.url}/store", params={"graph": "urn:gsp"}, content=turtle,
                     headers={**wrong, "Content-Type": "text/turtle"}).status_code == 403
    # Queries that carry the token (it lifts the row cap) on both paths, and one with it in the URL.
    assert httpx.get(server.sparql, params={"query": "ASK {}"}, headers=right).status_code == 200
    assert httpx.post(server.sparql, data={"query": "ASK {}"}, headers=right).status_code == 200
    httpx.get(server.sparql, params={"query": f"ASK {{}} # {TOKEN}"})
    metrics = httpx.get(f"{server.url}/metrics").text
    time.sleep(0.3)
    log = server.log.read_text(errors="replace")
    assert "kg.server.access" in log and "kg_http_requests_total" in metrics  # both were written
    assert TOKEN not in metrics and TOKEN not in log
    assert WRONG not in log

    lines = audit_lines(server)
    accepted = [x for x in lines if x["outcome"] == "accepted"]
    refused = [x for x in lines if x["outcome"] == "refused"]
    assert [x["action"] for x in accepted] == ["update", "graph store PUT"]
    assert accepted[0]["client"] == "127.0.0.1" and accepted[0]["token"] == fingerprint(TOKEN)
    assert accepted[0]["what"].startswith("INSERT DATA { GRAPH <urn:audit>")
    assert len(accepted[0]["what"]) < 600 and "characters)" in accepted[0]["what"]
    assert [x["token"] for x in refused] == [fingerprint(WRONG), None, fingerprint(WRONG)]
    assert fingerprint(TOKEN) != fingerprint(WRONG)
