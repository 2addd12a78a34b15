"""The errors of arxiv-kg, with short codes so that messages can be looked up and grepped."""

from __future__ import annotations


class KgError(Exception):
    """Base of every error arxiv-kg raises on purpose."""

    code = "KG000"

    def __str__(self) -> str:
        return f"[{self.code}] {super().__str__()}"


class RecordError(KgError):
    """A record that cannot be turned into facts: names the record, the field and the reason."""

    code = "KG100"

    def __init__(self, record_id: str | None, field: str | None, reason: str) -> None:
        self.record_id = record_id
        self.field = field
        self.reason = reason
        where = f"record {record_id!r}" if record_id else "record"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class InputError(KgError):
    """An input file that cannot be read at all (missing, unknown format)."""

    code = "KG200"


class StoreError(KgError):
    """The store cannot be opened, written or swapped."""

    code = "KG300"


class StoreNotFoundError(StoreError):
    code = "KG301"


class StoreLockedError(StoreError):
    code = "KG302"


class QueryError(KgError):
    """A SPARQL query or update that cannot be parsed or evaluated."""

    code = "KG400"


class FederationError(KgError):
    """A federated query (``SERVICE``) that cannot be run."""

    code = "KG500"


class FederationRefused(FederationError):
    """A ``SERVICE`` endpoint that the allowlist refuses: names the endpoint and the reason (an HTTP 403)."""

    code = "KG501"

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"SERVICE {endpoint} refused: {reason}")


class FederationRemoteError(FederationError):
    """A remote endpoint that failed (time-out, HTTP error, oversized or malformed answer): an HTTP 502."""

    code = "KG502"

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"SERVICE {endpoint} failed: {reason}")
