"""Who may write: updates and Graph Store writes need ``Authorization: Bearer <KG_UPDATE_TOKEN>``;
with no token configured, writing is off. The comparison takes constant time."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from kg.server.audit import log_write
from kg.settings import Settings


def has_token(request: Request, settings: Settings) -> bool:
    """Whether the request carries the configured update token."""
    return token_matches(request.headers.get("authorization"), settings)


def token_matches(authorization: str | None, settings: Settings) -> bool:
    """Whether an ``Authorization`` header value is ``Bearer <the configured token>``."""
    if settings.update_token is None or not authorization:
        return False
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return False
    expected = settings.update_token.get_secret_value().encode("utf-8")
    return hmac.compare_digest(credentials.strip().encode("utf-8"), expected)


def require_update_token(request: Request, settings: Settings) -> None:
    """Refuse a write: 403 when writes are off or the token is wrong, 401 when none was sent."""
    if settings.update_token is None or not has_token(request, settings):
        log_write(request, f"{request.method} {request.url.path}", outcome="refused")
    if settings.update_token is None:
        raise HTTPException(403, "this endpoint is read-only: updates are off (no KG_UPDATE_TOKEN is configured)")
    if not request.headers.get("authorization"):
        raise HTTPException(
            401, "updates need 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": 'Bearer realm="kg"'}
        )
    if not has_token(request, settings):
        raise HTTPException(
            403, "the update token is wrong", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
