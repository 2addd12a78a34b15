"""Every SERVICE is checked before anything runs; refused forms name the endpoint and never connect."""

from __future__ import annotations

import re

import pytest

from kg.errors import FederationRefused
from kg.federation import Federation, check_query
from kg.settings import Settings
from tests.federation.conftest import connections

# {target} is the listener's URL (never allowlisted), {allowed} an allowlisted fixture URL.
REFUSED_FORMS = {
    "plain": "SELECT * WHERE { SERVICE <{target}> { ?s ?p ?o } }",
    "lower-case keyword": "select * where { service <{target}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{target}> { ?s ?p ?o } }",
    "after local patterns": "SELECT * WHERE { ?s ?p ?o . SERVICE <{target}> { ?s ?q ?r } }",
    "subquery": "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <{target}> { ?s ?p ?o } } LIMIT 1 } }",
    "optional": "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <{target}> { ?s ?q ?r } } }",
    "union": "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <{target}> { ?s ?p ?o } } }",
    "minus": "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{target}> { ?s ?p ?o } } }",
    "exists": "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{target}> { ?s ?p ?o } } }",
    "not exists": "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <{target}> { ?s ?p ?o } } }",
    "in a projection expression": "SELECT (EXISTS { SERVICE <{target}> { ?s ?p ?o } } AS ?e) WHERE { }",
    "graph": "SELECT * WHERE { GRAPH ?g { SERVICE <{target}> { ?s ?p ?o } } }",
    "nested in an allowed service": (
        "SELECT * WHERE { SERVICE <{allowed}> { ?s ?p ?o SERVICE <{target}> { ?s ?p ?o } } }"
    ),
    "prefixed name": "PREFIX t: <{target_dir}> SELECT * WHERE { SERVICE t:sparql { ?s ?p ?o } }",
    "relative IRI with BASE": "BASE <{target_dir}> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "variable endpoint": "SELECT * WHERE { VALUES ?e { <{target}> } SERVICE ?e { ?s ?p ?o } }",
    "undeclared prefix": "SELECT * WHERE { SERVICE nope:sparql { ?s ?p ?o } }",
    "localhost name": "SELECT * WHERE { SERVICE <{localhost}> { ?s ?p ?o } }",
    "constructed": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{target}> { ?s ?p ?o } }",
    "ask": "ASK { SERVICE <{target}> { ?s ?p ?o } }",
    "comment does not hide the next line": "SELECT * WHERE { # a comment }\n SERVICE <{target}> { ?s ?p ?o } }",
}
REFUSED_UPDATES = {
    "update where": "INSERT { GRAPH <urn:g> { ?s ?p ?o } } WHERE { SERVICE <{target}> { ?s ?p ?o } }",
    "update delete/insert in a second operation": (
        "INSERT DATA { <urn:a> <urn:b> <urn:c> } ; DELETE { ?s ?p ?o } WHERE { SERVICE <{target}> { ?s ?p ?o } }"
    ),
}


def _fill(template: str, port: int, allowed: str) -> str:
    target = f"http://127.0.0.1:{port}/sparql"
    return (
        template.replace("{target}", target)
        .replace("{target_dir}", f"http://127.0.0.1:{port}/")
        .replace("{allowed}", allowed)
        .replace("{localhost}", f"http://localhost:{port}/sparql")
    )


@pytest.mark.parametrize("form", sorted(REFUSED_FORMS))
def test_refused_service_form_names_the_endpoint_and_never_connects(form, listener, sample_store,
                                                                      fixture_settings):
    port = listener.getsockname()[1]
    allowed = fixture_settings.federation_allow[0]
    query = _fill(REFUSED_FORMS[form], port, allowed)
    with pytest.raises(FederationRefused) as refused:
        Federation(fixture_settings).execute(sample_store, query)
    message = str(refused.value)
    assert str(port) in message or "?e" in message or "nope:sparql" in message
    assert connections(listener) == 0


@pytest.mark.parametrize("form", sorted(REFUSED_UPDATES))
def test_refused_service_in_an_update_names_the_endpoint(form, listener, fixture_settings):
    port = listener.getsockname()[1]
    update = _fill(REFUSED_UPDATES[form], port, fixture_settings.federation_allow[0])
    with pytest.raises(FederationRefused, match=str(port)):
        check_query(update, fixture_settings.federation_allow)
    assert connections(listener) == 0


def test_listed_name_that_resolves_to_loopback_is_refused(listener, sample_store):
    port = listener.getsockname()[1]
    url = f"http://localhost:{port}/sparql"
    settings = Settings(federation_allow=[url])
    with pytest.raises(FederationRefused, match="non-public address"):
        Federation(settings).execute(sample_store, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert connections(listener) == 0


def test_listed_public_name_that_resolves_to_a_private_address_is_refused():
    url = "https://query.wikidata.org/sparql"
    with pytest.raises(FederationRefused, match=re.escape("10.1.2.3")):
        check_query(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", [url], resolve=lambda h, p: ["10.1.2.3"])
    with pytest.raises(FederationRefused, match=re.escape("169.254.169.254")):
        check_query(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", [url], resolve=lambda h, p: ["169.254.169.254"])
    with pytest.raises(FederationRefused, match="::1"):
        check_query(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", [url], resolve=lambda h, p: ["::1"])


def test_endpoint_must_match_a_listed_url_exactly():
    listed = "https://query.wikidata.org/sparql"
    public = lambda h, p: ["93.184.215.14"]  # noqa: E731 - no DNS in tests
    assert check_query(f"SELECT * {{ SERVICE <{listed}> {{ ?s ?p ?o }} }}", [listed], resolve=public) == [listed]
    for variant in (listed + "/", listed + "?x=1", "http://query.wikidata.org/sparql",
                    "https://query.wikidata.org:8443/sparql", "https://user@query.wikidata.org/sparql"):
        with pytest.raises(FederationRefused, match="not in KG_FEDERATION_ALLOW"):
            check_query(f"SELECT * {{ SERVICE <{variant}> {{ ?s ?p ?o }} }}", [listed], resolve=public)


def test_empty_allowlist_turns_federation_off(sample_store):
    with pytest.raises(FederationRefused, match="federation is off"):
        Federation(Settings(federation_allow=[])).execute(
            sample_store, "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
        )


def test_service_inside_strings_comments_and_iris_is_not_a_service(sample_store):
    query = (
        'SELECT ?t WHERE { ?p a <http://purl.org/spar/fabio/Preprint> ; '
        '<https://w3id.org/arxiv-kg/ontology#arxivId> ?t '
        'FILTER(?t != "SERVICE <http://10.0.0.1/> { }") } # SERVICE <http://10.0.0.1/> {}\n'
    )
    assert check_query(query, []) == []
    assert len(list(Federation(Settings(federation_allow=[])).execute(sample_store, query))) == 2


def test_codepoint_escapes_are_checked_too():
    query = "SELECT * WHERE { \\u0053ERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }"
    with pytest.raises(FederationRefused, match=re.escape("10.0.0.1")):
        check_query(query, ["https://query.wikidata.org/sparql"])


def test_load_from_a_url_that_is_not_listed_is_refused(listener, fixture_settings):
    port = listener.getsockname()[1]
    with pytest.raises(FederationRefused, match=str(port)):
        check_query(f"LOAD <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <urn:g>", fixture_settings.federation_allow)
    with pytest.raises(FederationRefused, match=str(port)):
        check_query(f"LOAD SILENT <http://127.0.0.1:{port}/data.ttl>", fixture_settings.federation_allow)
    assert connections(listener) == 0


def test_malformed_service_clause_is_a_query_error_and_never_connects(listener, sample_store, fixture_settings):
    from kg.errors import QueryError

    port = listener.getsockname()[1]
    with pytest.raises(QueryError, match="malformed"):
        Federation(fixture_settings).execute(sample_store, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> ")
    assert connections(listener) == 0
