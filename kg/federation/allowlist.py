"""Which ``SERVICE`` endpoints a query may call: every clause is checked before anything runs.

Rules (``KG_FEDERATION_ALLOW`` holds exact URLs; empty turns federation off):

- ``LOAD <url>`` in an update follows the same rules (pyoxigraph fetches the URL itself);
- a ``SERVICE`` whose endpoint is a variable, or a prefixed name with no declared prefix, is refused;
- an endpoint that is not, character for character, one of the listed URLs is refused;
- a listed URL whose host is a *name* must resolve (``getaddrinfo``, no connection) to public
  addresses only: a name that resolves to a loopback, private, link-local, reserved or multicast
  address is refused (DNS rebinding or poisoning). A listed URL whose host is an IP literal
  (``http://127.0.0.1:7878/sparql``) names its address on purpose and is allowed.

Clauses are found by our tokenizer (strings, comments and IRIs respected, nested clauses included)
and, as a second opinion, by rdflib's SPARQL parser and algebra; an endpoint found by either is checked.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

from kg.errors import FederationRefused, QueryError
from kg.federation.sparqltext import SparqlTextError, expand_codepoint_escapes, find_loads, find_services

log = logging.getLogger("kg.federation")

Resolver = Callable[[str, int], Sequence[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (no connection is made)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast
        or ip.is_unspecified or not ip.is_global
    )


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_endpoint(endpoint: str | None, allow: Iterable[str], *, resolve: Resolver = resolve_host,
                   shown: str | None = None) -> None:
    """Raise :class:`FederationRefused` unless ``endpoint`` may be called."""
    name = endpoint or shown or "?"
    allowed = set(allow)
    if endpoint is None:
        raise FederationRefused(name, "the endpoint is not a constant IRI (a variable or an undeclared prefix)")
    if not allowed:
        raise FederationRefused(name, "federation is off (KG_FEDERATION_ALLOW is empty)")
    if endpoint not in allowed:
        raise FederationRefused(name, "not in KG_FEDERATION_ALLOW (exact URLs only)")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FederationRefused(name, "only http and https endpoints can be called")
    host = parts.hostname
    if _ip_literal(host):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except OSError as err:
        raise FederationRefused(name, f"its host {host} does not resolve: {err}") from None
    inner = [a for a in addresses if not _is_public(a)]
    if inner or not addresses:
        raise FederationRefused(
            name, f"its host {host} resolves to a non-public address ({', '.join(inner) or 'none'}); "
            "list the endpoint by IP address to allow a private service"
        )


def _rdflib_endpoints(text: str) -> list[str | None] | None:
    """Endpoints rdflib's parser and algebra see, or ``None`` if rdflib cannot parse the text."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    try:
        try:
            algebra: object = translateQuery(parseQuery(text)).algebra
        except Exception:
            algebra = translateUpdate(parseUpdate(text)).algebra
    except (Exception, RecursionError) as err:  # rdflib recurses deeply on nested SERVICE
        log.debug("rdflib could not parse a query with SERVICE: %s", type(err).__name__)
        return None

    found: list[str | None] = []
    seen: set[int] = set()

    def walk(node: object) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                found.append(str(term) if isinstance(term, URIRef) else None)
            for value in node.values():
                walk(value)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(algebra)
    return found


def check_query(sparql: str, allow: Iterable[str], *, resolve: Resolver = resolve_host) -> list[str]:
    """Check every ``SERVICE`` in a query or update; return the endpoints it will call.

    Raises :class:`FederationRefused` naming the first endpoint that may not be called.

    >>> check_query("SELECT * { ?s ?p ?o }", [])
    []
    >>> check_query("SELECT * { SERVICE ?x { ?s ?p ?o } }", ["https://query.wikidata.org/sparql"])
    Traceback (most recent call last):
    ...
    kg.errors.FederationRefused: [KG501] SERVICE ?x refused: the endpoint is not a constant IRI ...
    """
    allow = list(allow)
    texts = [sparql]
    if "\\u" in sparql or "\\U" in sparql:
        texts.append(expand_codepoint_escapes(sparql))
    lowered = [t.lower() for t in texts]
    if not any("service" in t or "load" in t for t in lowered):
        return []
    endpoints: list[str] = []
    for text in texts:
        try:
            clauses = find_services(text)
        except SparqlTextError as err:
            if "service" not in text.lower():
                continue
            # nothing runs: a malformed query is a 400, like any other syntax error
            raise QueryError(f"malformed query (SERVICE clause): {err}") from None
        for source, shown in find_loads(text):  # pyoxigraph fetches LOAD sources over HTTP itself
            check_endpoint(source, allow, resolve=resolve, shown=shown)
        for clause in clauses:
            check_endpoint(clause.endpoint, allow, resolve=resolve, shown=clause.endpoint_text)
            if clause.endpoint and clause.endpoint not in endpoints:
                endpoints.append(clause.endpoint)
        second = _rdflib_endpoints(text) if clauses else None
        for endpoint in second or ():
            check_endpoint(endpoint, allow, resolve=resolve)
            if endpoint and endpoint not in endpoints:
                endpoints.append(endpoint)
    return endpoints
