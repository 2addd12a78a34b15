"""The write log: every update and Graph Store write (and every refused one) as one JSON line on the
``kg.server.audit`` logger, saying who (client address, a fingerprint of the token) and what (the
update text, truncated). The token itself is never logged."""

from __future__ import annotations

import hashlib
import json
import logging

from fastapi import Request

audit_log = logging.getLogger("kg.server.audit")
MAX_TEXT = 500


def fingerprint(token: str) -> str:
    """A short, stable name for a token (a hash prefix): tells tokens apart without revealing them."""
    return "sha256:" + hashlib.sha256(b"kg-update-token\0" + token.encode("utf-8")).hexdigest()[:12]


def _credentials(request: Request) -> str | None:
    scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
    return fingerprint(credentials.strip()) if scheme.lower() == "bearer" and credentials.strip() else None


def log_write(request: Request, action: str, text: str = "", *, outcome: str = "accepted") -> None:
    """One line: who wrote (or tried to) what."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"... ({len(text)} characters)"
    audit_log.info(json.dumps({
        "event": "write",
        "outcome": outcome,
        "action": action,
        "client": request.client.host if request.client else None,
        "token": _credentials(request),
        "what": text,
    }, ensure_ascii=False))
