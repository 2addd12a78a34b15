"""The outgoing client: User-Agent with a contact URL, retries honouring Retry-After, size cap, no redirects."""

from __future__ import annotations

import pytest

from kg.errors import FederationRefused, FederationRemoteError
from kg.federation import FederationClient
from kg.settings import Settings
from tests.federation.conftest import LoggingProxy, connections

SCHOLARLY = "https://query-scholarly.wikidata.org/sparql"
QUERY = 'SELECT ?item WHERE { ?item <http://www.wikidata.org/prop/direct/P818> "2307.09288" }'


@pytest.fixture()
def proxy(fixture_servers):
    proxy = LoggingProxy(fixture_servers[SCHOLARLY]).start()
    yield proxy
    proxy.stop()


def _client(proxy: LoggingProxy, **settings) -> tuple[FederationClient, list[float]]:
    waits: list[float] = []
    options = {"federation_allow": [proxy.url], "federation_max_retry_wait_s": 5.0, **settings}
    return FederationClient(Settings(**options), sleep=waits.append), waits


def test_client_sends_a_descriptive_user_agent_with_a_contact_url(proxy):
    client, _ = _client(proxy, federation_contact="https://example.org/contact")
    rows = client.select(proxy.url, QUERY)
    assert rows.rows == ({"item": "<http://www.wikidata.org/entity/Q900001>"},)
    agent = proxy.exchanges[0].headers["User-Agent"]
    assert agent.startswith("arxiv-kg/") and "https://example.org/contact" in agent
    assert "sparql-results+json" in proxy.exchanges[0].headers["Accept"]


@pytest.mark.parametrize("status", [429, 503])
def test_client_retries_busy_answers_honouring_retry_after(proxy, status):
    client, waits = _client(proxy, federation_retries=3)
    proxy.inject = [(status, {"Retry-After": "2"}), (status, {})]
    rows = client.select(proxy.url, QUERY)
    assert len(rows.rows) == 1
    assert [e.status for e in proxy.exchanges] == [status, status, 200]
    assert waits == [2.0, 1.0]  # Retry-After first, then exponential backoff (0.5 s, 1 s, ...)


def test_client_caps_the_wait_asked_by_retry_after(proxy):
    client, waits = _client(proxy, federation_retries=1, federation_max_retry_wait_s=3.0)
    proxy.inject = [(429, {"Retry-After": "3600"})]
    client.select(proxy.url, QUERY)
    assert waits == [3.0]


def test_client_gives_up_after_the_configured_retries(proxy):
    client, waits = _client(proxy, federation_retries=2)
    proxy.inject = [(503, {}), (503, {}), (503, {})]
    with pytest.raises(FederationRemoteError, match="HTTP 503"):
        client.select(proxy.url, QUERY)
    assert len(proxy.exchanges) == 3 and len(waits) == 2


def test_client_does_not_retry_a_client_error(proxy):
    client, waits = _client(proxy, federation_retries=3)
    proxy.inject = [(400, {})]
    with pytest.raises(FederationRemoteError, match="HTTP 400"):
        client.select(proxy.url, QUERY)
    assert len(proxy.exchanges) == 1 and waits == []


def test_client_refuses_an_answer_larger_than_the_cap(proxy):
    client, _ = _client(proxy, federation_max_response_bytes=100)
    with pytest.raises(FederationRemoteError, match="larger than 100 bytes"):
        client.select(proxy.url, "SELECT * WHERE { ?s ?p ?o }")


def test_client_does_not_follow_redirects(proxy, listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    client, _ = _client(proxy, federation_retries=0)
    proxy.inject = [(302, {"Location": target})]
    with pytest.raises(FederationRemoteError, match="302"):
        client.select(proxy.url, QUERY)
    assert connections(listener) == 0


def test_client_checks_the_allowlist_itself(listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    client = FederationClient(Settings(federation_allow=["https://query.wikidata.org/sparql"]))
    with pytest.raises(FederationRefused):
        client.select(target, QUERY)
    assert connections(listener) == 0
