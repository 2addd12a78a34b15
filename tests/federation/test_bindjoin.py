"""Bind joins give the same rows as pyoxigraph's naive SERVICE evaluation, and ship keys, not tables."""

from __future__ import annotations

import logging
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from kg.errors import FederationRemoteError
from kg.federation import Federation
from kg.settings import Settings
from tests.federation.conftest import LoggingProxy, OxigraphServer, free_port

PREFIXES = """PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX kg: <https://w3id.org/arxiv-kg/ontology#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
"""
SCHOLARLY = "https://query-scholarly.wikidata.org/sparql"

# name -> (query with {W} for the endpoint, how the clause is answered: "bind" or "full")
SHAPES = {
    "join after local patterns": (
        "SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE <{W}> { ?item wdt:P818 ?id } }", "bind"),
    "service first in its group": (
        "SELECT * WHERE { SERVICE <{W}> { ?item wdt:P818 ?id } ?p kg:arxivId ?id . }", "bind"),
    "optional service keeps unmatched rows": (
        "SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . "
        "OPTIONAL { SERVICE <{W}> { ?item wdt:P818 ?id ; wdt:P2093 ?name } } }", "bind"),
    "two join keys after BIND": (
        "SELECT * WHERE { ?p kg:arxivId ?id ; bibo:doi ?d . BIND(UCASE(?d) AS ?doi) "
        "SERVICE <{W}> { ?item wdt:P818 ?id ; wdt:P356 ?doi } }", "bind"),
    "filter and aggregate over the join": (
        "SELECT (COUNT(*) AS ?n) WHERE { ?p kg:arxivId ?id . SERVICE <{W}> { ?item wdt:P818 ?id } "
        "FILTER(STRSTARTS(?id, \"2307\")) }", "bind"),
    "remote rows with a repeated key": (
        "SELECT ?id ?author WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . "
        "SERVICE <{W}> { ?item wdt:P818 ?id ; wdt:P2093 ?author } } ", "bind"),
    "key not bound inside the service pattern": (
        "SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . "
        "SERVICE <{W}> { { SELECT ?item WHERE { ?item wdt:P818 ?id } } } }", "bind"),
    "ask": ("ASK { ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE <{W}> { ?item wdt:P818 ?id } }", "bind"),
    "union holding a service": (
        "SELECT * WHERE { { ?p a fabio:Preprint ; kg:arxivId ?id } UNION { SERVICE <{W}> { ?item wdt:P818 ?id } } }",
        "full"),
    "subquery holding a service": (
        "SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . "
        "{ SELECT ?id ?item WHERE { SERVICE <{W}> { ?item wdt:P818 ?id } } } }", "full"),
    "minus holding a service": (
        "SELECT * WHERE { ?p kg:arxivId ?id MINUS { SERVICE <{W}> { ?item wdt:P818 ?id } } }", "full"),
    "local side leaves the key unbound": (
        "SELECT * WHERE { ?p a fabio:Preprint . OPTIONAL { ?p kg:arxivId ?id FILTER(?id = \"2307.09288\") } "
        "SERVICE <{W}> { ?item wdt:P818 ?id } }", "full"),
    "filter exists holding a service": (
        "SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id "
        "FILTER EXISTS { SERVICE <{W}> { ?item wdt:P818 ?id } } }", "full"),
}


def canonical(result) -> Counter | bool:
    if hasattr(result, "variables"):
        names = sorted(v.value for v in result.variables)
        return Counter(tuple((n, str(s[n]) if s[n] is not None else None) for n in names) for s in result)
    return bool(result)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_rewritten_query_gives_the_rows_of_naive_evaluation(shape, sample_store, fixture_servers, fixture_settings):
    template, how = SHAPES[shape]
    query = PREFIXES + template.replace("{W}", fixture_servers[SCHOLARLY])
    federation = Federation(fixture_settings)
    ours = canonical(federation.execute(sample_store, query))
    naive = canonical(sample_store.query(query))
    assert ours == naive
    assert ours  # every shape has rows (or is true) on the sample, so equality is not trivial
    if how == "bind":
        assert federation.last.bind_joins == 1 and federation.last.full_fetches == 0
    else:
        assert federation.last.bind_joins == 0 and federation.last.full_fetches == 1


@pytest.fixture()
def dead_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}/sparql"


@pytest.mark.parametrize(
    ("template", "rows"),
    [
        ("SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE SILENT <{D}> { ?item wdt:P818 ?id } }", 2),
        ("SELECT * WHERE { ?p a fabio:Preprint ; kg:arxivId ?id . "
         "OPTIONAL { SERVICE SILENT <{D}> { ?item wdt:P818 ?id } } }", 2),
        ("SELECT * WHERE { { ?p a fabio:Preprint } UNION { SERVICE SILENT <{D}> { ?item wdt:P818 ?id } } }", 3),
    ],
    ids=["bind join", "optional", "full fetch"],
)
def test_silent_service_that_fails_yields_one_empty_solution(template, rows, sample_store, dead_endpoint):
    query = PREFIXES + template.replace("{D}", dead_endpoint)
    settings = Settings(federation_allow=[dead_endpoint], federation_retries=0, federation_cache_s=0)
    federation = Federation(settings)
    ours = canonical(federation.execute(sample_store, query))
    assert ours == canonical(sample_store.query(query))
    assert federation.last.silent_failures == 1
    assert sum(ours.values()) == rows  # the two papers unextended (and, in the union, the empty solution)


def test_service_that_fails_without_silent_is_an_error_naming_it(sample_store, dead_endpoint):
    query = PREFIXES + (
        f"SELECT * WHERE {{ ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE <{dead_endpoint}> {{ ?i wdt:P818 ?id }} }}"
    )
    settings = Settings(federation_allow=[dead_endpoint], federation_retries=0)
    with pytest.raises(FederationRemoteError, match=dead_endpoint):
        Federation(settings).execute(sample_store, query)


# -- keys, not tables: a logging proxy in front of a large remote table --------------------------------

LARGE_IDS = 50_000


@pytest.fixture(scope="module")
def large_remote(tmp_path_factory: pytest.TempPathFactory):
    """An oxigraph server holding 50,000 arXiv ids (the sample's two among them), behind a logging proxy."""
    root = tmp_path_factory.mktemp("large-remote")
    data = root / "large.nt"
    with data.open("w") as out:
        for n in range(LARGE_IDS - 2):
            out.write(f'<http://www.wikidata.org/entity/Q{1_000_000 + n}> '
                      f'<http://www.wikidata.org/prop/direct/P818> "2401.{n:05d}" .\n')
        for q, arxiv_id in (("Q900001", "2307.09288"), ("Q900002", "2307.09042")):
            out.write(f'<http://www.wikidata.org/entity/{q}> <http://www.wikidata.org/prop/direct/P818> '
                      f'"{arxiv_id}" .\n')
    with OxigraphServer.run(data, root / "store") as server:
        proxy = LoggingProxy(server.url).start()
        try:
            yield proxy
        finally:
            proxy.stop()


def test_bind_join_ships_keys_and_not_tables(sample_store, large_remote, caplog):
    proxy = large_remote
    query = (Path(__file__).parents[2] / "queries" / "wikidata-items-by-arxiv-id.rq").read_text(encoding="utf-8")
    query = query.replace(f"<{SCHOLARLY}>", f"<{proxy.url}>")

    proxy.reset()
    naive = canonical(sample_store.query(query))
    naive_in, naive_out, naive_requests = proxy.bytes_received, proxy.bytes_sent, len(proxy.exchanges)

    proxy.reset()
    settings = Settings(federation_allow=[proxy.url], federation_cache_s=0)
    with caplog.at_level(logging.INFO, logger="kg.federation"):
        ours = canonical(Federation(settings).execute(sample_store, query))
    bind_in, bind_out, bind_requests = proxy.bytes_received, proxy.bytes_sent, len(proxy.exchanges)

    assert ours == naive and sum(ours.values()) == 2
    print(f"\nnaive (pyoxigraph): {naive_requests} request(s), {naive_out} bytes sent, {naive_in} bytes received")
    print(f"bind join (kg):     {bind_requests} request(s), {bind_out} bytes sent, {bind_in} bytes received")
    assert naive_in > 1_000_000  # pyoxigraph downloads the whole table
    assert bind_in * 100 < naive_in
    sent = urllib.parse.parse_qs(proxy.exchanges[0].request.decode())["query"][0]
    assert '"2307.09288"' in sent and '"2307.09042"' in sent and "VALUES" in sent
    assert any("bytes received" in r.getMessage() for r in caplog.records)  # outgoing calls are logged


def test_keys_travel_in_batches_of_the_configured_size(sample_store, large_remote):
    proxy = large_remote
    query = PREFIXES + (
        f"SELECT ?id ?item WHERE {{ SERVICE <{proxy.url}> {{ ?item wdt:P818 ?id }} ?p kg:arxivId ?id }}"
    )
    local_ids = len(list(sample_store.query(PREFIXES + "SELECT DISTINCT ?id WHERE { ?p kg:arxivId ?id }")))
    proxy.reset()
    settings = Settings(federation_allow=[proxy.url], federation_cache_s=0, federation_batch_size=20)
    federation = Federation(settings)
    result = canonical(federation.execute(sample_store, query))
    assert federation.last.keys_shipped == local_ids
    assert len(proxy.exchanges) == -(-local_ids // 20)
    for exchange in proxy.exchanges:
        sent = urllib.parse.parse_qs(exchange.request.decode())["query"][0]
        values = sent.split("VALUES", 1)[1].split("}", 1)[0]
        assert 1 <= values.count("(") - 1 <= 20
    assert sum(result.values()) == 2


def test_remote_answers_are_cached_for_the_configured_time(sample_store, large_remote):
    proxy = large_remote
    query = PREFIXES + (
        f"SELECT * WHERE {{ ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE <{proxy.url}> {{ ?item wdt:P818 ?id }} }}"
    )
    proxy.reset()
    cached = Federation(Settings(federation_allow=[proxy.url], federation_cache_s=60))
    first = canonical(cached.execute(sample_store, query))
    assert len(proxy.exchanges) == 1
    assert canonical(cached.execute(sample_store, query)) == first
    assert len(proxy.exchanges) == 1 and cached.cache.hits == 1
    uncached = Federation(Settings(federation_allow=[proxy.url], federation_cache_s=0))
    uncached.execute(sample_store, query)
    uncached.execute(sample_store, query)
    assert len(proxy.exchanges) == 3


def test_remote_blank_nodes_fall_back_to_pyoxigraph_with_the_same_rows(sample_store, fixture_servers,
                                                                       fixture_settings):
    dblp = fixture_servers["https://sparql.dblp.org/sparql"]
    query = PREFIXES + (
        "PREFIX dblp: <https://dblp.org/rdf/schema#>\n"
        "SELECT ?doi ?sig WHERE { ?p a fabio:Preprint ; bibo:doi ?d . BIND(IRI(CONCAT(\"https://doi.org/\", "
        f"UCASE(?d))) AS ?doi) SERVICE <{dblp}> {{ ?rec dblp:doi ?doi ; dblp:hasSignature ?sig }} }}"
    )
    federation = Federation(fixture_settings)
    result = federation.execute(sample_store, query)
    assert "blank nodes" in (federation.last.fallback or "")
    assert len(list(result)) == 3 == len(list(sample_store.query(query)))


def test_update_with_service_is_answered_by_our_client(tmp_path, fixture_servers, fixture_settings):
    from kg.build import build
    from kg.store import StoreDirectory
    from kg.vocab import DEFAULT_BASE_IRI

    build([], tmp_path / "s", base_iri=DEFAULT_BASE_IRI)
    store = StoreDirectory(tmp_path / "s").open(read_only=False)
    try:
        federation = Federation(fixture_settings)
        federation.execute_update(store, PREFIXES + (
            "INSERT { GRAPH <urn:links> { ?p <urn:item> ?item } } WHERE { "
            "GRAPH ?g { ?p a fabio:Preprint ; kg:arxivId ?id } "
            f"SERVICE <{fixture_servers[SCHOLARLY]}> {{ ?item wdt:P818 ?id }} }}"
        ))
        assert federation.last.full_fetches == 1
        assert len(list(store.query("SELECT * WHERE { GRAPH <urn:links> { ?s ?p ?o } }"))) == 2
    finally:
        store.close()


def test_remote_that_does_not_answer_times_out(sample_store, listener):
    silent = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"  # accepts connections, never answers
    settings = Settings(federation_allow=[silent], federation_timeout_s=0.5, federation_retries=0)
    query = PREFIXES + f"SELECT * WHERE {{ ?p a fabio:Preprint ; kg:arxivId ?id . SERVICE <{silent}> {{ ?i ?q ?id }} }}"
    with pytest.raises(FederationRemoteError, match="timed out"):
        Federation(settings).execute(sample_store, query)


def test_dataset_options_apply_to_the_local_side_of_the_bind_join(sample_store, fixture_servers, fixture_settings):
    from kg.vocab import DEFAULT_BASE_IRI

    query = PREFIXES + (
        f"SELECT ?id ?item WHERE {{ ?p a fabio:Preprint ; kg:arxivId ?id . "
        f"SERVICE <{fixture_servers[SCHOLARLY]}> {{ ?item wdt:P818 ?id }} }}"
    )
    graph = [DEFAULT_BASE_IRI + "graph/2307.09288"]
    federation = Federation(fixture_settings)
    ours = canonical(federation.execute(sample_store, query, default_graph=graph))
    assert ours == canonical(sample_store.query(query, default_graph=graph))
    assert sum(ours.values()) == 1 and federation.last.keys_shipped == 1
