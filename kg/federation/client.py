"""The outgoing HTTP client of federated queries: the only code that calls a remote SPARQL endpoint.

Each call is checked against the allowlist again, sent as a POST form with a descriptive User-Agent,
bounded by a time-out and a response-size cap, retried with backoff on 429/502/503/504 (honouring
``Retry-After``), never follows redirects, and is logged (endpoint, bytes out and in, status, time).
"""

from __future__ import annotations

import email.utils
import importlib.metadata
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.errors import FederationRemoteError
from kg.federation.allowlist import check_endpoint, resolve_host
from kg.settings import Settings

log = logging.getLogger("kg.federation")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
try:
    VERSION = importlib.metadata.version("arxiv-kg")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0"
ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"


@dataclass(frozen=True)
class RemoteRows:
    """A remote SELECT answer: its variables and rows, each term in SPARQL (N-Triples) syntax."""

    variables: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    has_blank_nodes: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} not followed", headers, fp)


def _retry_after(value: str | None, fallback: float) -> float:
    if not value:
        return fallback
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback
    return max(0.0, when.timestamp() - time.time())


def parse_results(body: bytes, content_type: str) -> RemoteRows:
    """Parse a SPARQL results document (JSON, XML or TSV) into :class:`RemoteRows`."""
    media = content_type.split(";", 1)[0].strip().lower()
    fmt = RESULT_TYPES.get(media)
    if fmt is None:
        fmt = ox.QueryResultsFormat.XML if body.lstrip().startswith(b"<") else ox.QueryResultsFormat.JSON
    results = ox.parse_query_results(body, fmt)
    if isinstance(results, ox.QueryBoolean):
        raise ValueError("a boolean answer where solutions were expected")
    variables = tuple(v.value for v in results.variables)
    rows = []
    blank = False
    for solution in results:
        row = {}
        for name in variables:
            term = solution[name]
            if term is None:
                continue
            if isinstance(term, ox.BlankNode | ox.Triple):
                blank = True
            row[name] = str(term)
        rows.append(row)
    return RemoteRows(variables, tuple(rows), blank)


@dataclass
class FederationClient:
    """Sends SELECT queries to allowlisted endpoints; counts what it sent and received."""

    settings: Settings
    resolve: Callable[[str, int], Any] = resolve_host
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    _opener: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect())

    @property
    def user_agent(self) -> str:
        return f"arxiv-kg/{VERSION} (+{self.settings.federation_contact}; SPARQL federation) python-urllib"

    def select(self, endpoint: str, query: str) -> RemoteRows:
        """Run a SELECT at ``endpoint``; raise :class:`FederationRemoteError` when it cannot be answered."""
        check_endpoint(endpoint, self.settings.federation_allow, resolve=self.resolve)
        data = urllib.parse.urlencode({"query": query}).encode("utf-8")
        attempts = self.settings.federation_retries + 1
        for attempt in range(attempts):
            started = time.monotonic()
            request = urllib.request.Request(
                endpoint,
                data=data,
                method="POST",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": ACCEPT,
                    "User-Agent": self.user_agent,
                },
            )
            self.requests += 1
            self.bytes_sent += len(data)
            try:
                with self._opener.open(request, timeout=self.settings.federation_timeout_s) as response:
                    cap = self.settings.federation_max_response_bytes
                    body = response.read(cap + 1)
                    self.bytes_received += len(body)
                    if len(body) > cap:
                        raise FederationRemoteError(endpoint, f"answer larger than {cap} bytes")
                    content_type = response.headers.get("Content-Type", "")
                    status = response.status
            except urllib.error.HTTPError as err:
                wait = min(
                    _retry_after(err.headers.get("Retry-After") if err.headers else None, 0.5 * 2**attempt),
                    self.settings.federation_max_retry_wait_s,
                )
                log.warning("SERVICE %s: HTTP %s (attempt %d/%d)", endpoint, err.code, attempt + 1, attempts)
                if err.code in RETRY_STATUSES and attempt + 1 < attempts:
                    self.sleep(wait)
                    continue
                raise FederationRemoteError(endpoint, f"HTTP {err.code} {err.reason}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", err)
                log.warning("SERVICE %s: %s (attempt %d/%d)", endpoint, reason, attempt + 1, attempts)
                if attempt + 1 < attempts and not isinstance(reason, TimeoutError | ConnectionRefusedError):
                    self.sleep(min(0.5 * 2**attempt, self.settings.federation_max_retry_wait_s))
                    continue
                raise FederationRemoteError(endpoint, str(reason)) from None
            elapsed = time.monotonic() - started
            log.info(
                "SERVICE %s: HTTP %s, %d bytes sent, %d bytes received, %.3f s",
                endpoint, status, len(data), len(body), elapsed,
            )
            try:
                return parse_results(body, content_type)
            except (ValueError, SyntaxError) as err:
                raise FederationRemoteError(endpoint, f"unreadable SPARQL results: {err}") from None
        raise FederationRemoteError(endpoint, "no answer")  # pragma: no cover - the loop returns or raises
