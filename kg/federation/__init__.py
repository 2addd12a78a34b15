"""Federation: which SERVICE endpoints a query may call, the client that calls them, and bind joins.

The server calls :class:`Federation` (one per process, it holds the cache of remote answers)::

    federation = Federation(settings)
    federation.check(sparql)                       # raises FederationRefused (HTTP 403) before anything runs
    result = federation.execute(store, sparql)     # QuerySolutions | QueryBoolean | QueryTriples

``execute`` raises :class:`~kg.errors.FederationRemoteError` (HTTP 502) when a remote endpoint fails
outside ``SERVICE SILENT``.
"""

from kg.errors import FederationError, FederationRefused, FederationRemoteError
from kg.federation.allowlist import check_endpoint, check_query
from kg.federation.bindjoin import Federation, execute
from kg.federation.client import FederationClient

__all__ = [
    "Federation",
    "FederationClient",
    "FederationError",
    "FederationRefused",
    "FederationRemoteError",
    "check_endpoint",
    "check_query",
    "execute",
]
