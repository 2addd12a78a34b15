"""Every ``KG_*`` setting in one typed object; command-line flags override the environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kg.vocab import DEFAULT_BASE_IRI

#: Public SPARQL endpoints that ``SERVICE`` may call by default (exact URLs).
DEFAULT_FEDERATION_ALLOW = (
    "https://query.wikidata.org/sparql",
    "https://query-scholarly.wikidata.org/sparql",
    "https://sparql.dblp.org/sparql",
    "https://semopenalex.org/sparql",
    "https://opencitations.net/meta/sparql",
    "https://opencitations.net/index/sparql",
)


class Settings(BaseSettings):
    """Settings of arxiv-kg, read from ``KG_*`` environment variables (for example ``KG_STORE``)."""

    model_config = SettingsConfigDict(env_prefix="KG_", extra="ignore")

    store: Path = Field(Path("kg-store"), description="Directory of the on-disk store.")
    base_iri: str = Field(DEFAULT_BASE_IRI, description="Base IRI of every resource the graph mints.")

    # build
    batch_size: int = Field(500, ge=1, description="Records handed to an extraction step at once.")
    workers: int = Field(1, ge=1, description="Worker processes for extraction.")
    claims: bool = Field(True, description="Extract claims and research entities during the build.")
    claims_batch_size: int = Field(64, ge=1, description="Texts handed to a claims worker at once.")
    nlp: str | None = Field(None, description="Installed trained spaCy pipeline added to the claim rules.")

    # server
    host: str = "127.0.0.1"
    port: int = 8000
    update_token: SecretStr | None = Field(None, description="Bearer token that enables SPARQL Update and GSP writes.")
    query_timeout_s: float = Field(30.0, gt=0)
    max_result_rows: int = Field(100_000, ge=1, description="Cap on result rows for anonymous queries.")
    queries_dir: Path | None = Field(
        None, description="Folder of example queries (*.rq) preloaded in the query UI (default: the repository's)."
    )
    query_workers: int = Field(2, ge=1, description="Worker processes that run queries (killed on timeout).")
    max_query_length: int = Field(100_000, ge=1, description="Cap on the length of a query, in characters.")
    max_pending_queries: int = Field(64, ge=1, description="Queries running or waiting for a worker; past it, 503.")
    max_client_queries: int = Field(8, ge=1, description="Queries one client address may have in the house; 429.")
    query_demote_after_s: float = Field(0.5, ge=0, description="A query running longer gets a lower CPU priority "
                                        "(nice 10) so that short queries go first; 0 turns it off.")
    query_inline_ms: float = Field(2.0, ge=0, description="A query a worker answered whole in less time than "
                                   "this (ms) runs in the server process the next time, on the same store "
                                   "generation; 0 turns it off.")
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1, description="Cap on a request body, in bytes; past it, 413.")

    # dataset description (VoID at /.well-known/void)
    dataset_title: str = Field("arxiv-kg: a knowledge graph of arXiv papers", description="Title of the dataset.")
    dataset_license: str = Field(
        "http://creativecommons.org/publicdomain/zero/1.0/",
        description="Licence IRI of the graph (arXiv metadata is CC0; chunk texts keep their papers' licences).",
    )
    dataset_source: str = Field(
        "https://huggingface.co/datasets/jamescalam/ai-arxiv-chunked",
        description="The dataset the records came from (dcterms:source).",
    )

    # federation (SERVICE)
    federation_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_FEDERATION_ALLOW),
        description="SERVICE endpoints allowed, exact URLs separated by spaces or commas (or a JSON list); "
        "empty turns federation off.",
    )
    federation_cache_s: float = Field(300.0, ge=0, description="Seconds a remote answer is reused (0: no cache).")
    federation_timeout_s: float = Field(20.0, gt=0, description="Time-out of one outgoing SERVICE request.")
    federation_max_response_bytes: int = Field(32 * 1024 * 1024, ge=1, description="Cap on one remote answer.")
    federation_batch_size: int = Field(200, ge=1, description="Join keys shipped in one VALUES block.")
    federation_retries: int = Field(3, ge=0, description="Retries on 429/502/503/504, honouring Retry-After.")
    federation_max_retry_wait_s: float = Field(30.0, ge=0, description="Longest wait before a retry.")
    federation_contact: str = Field(
        "https://w3id.org/arxiv-kg/", description="Contact URL sent in the User-Agent of outgoing requests."
    )

    @field_validator("update_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        """``KG_UPDATE_TOKEN=`` (empty, as compose passes an unset variable) keeps updates off."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("federation_allow", mode="before")
    @classmethod
    def _split_allow(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.replace(",", " ").split() if part]
        return value

    def with_overrides(self, **values: object) -> Settings:
        """A copy with the given values set, skipping ``None`` (a flag that was not given)."""
        given = {k: v for k, v in values.items() if v is not None}
        return self.model_copy(update=given) if given else self
