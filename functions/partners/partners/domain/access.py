"""Who may call partner routes now: a live key of an active client.

The key proves who is calling (its hash matches); the client says what it may do now: its
organisation, scopes, event types and quotas come from the table at each decision (cached
at most a minute by the authorizer), not from anything issued earlier. So a revoked or
expired key, or a disabled client, stops within that minute.
"""
from __future__ import annotations

from typing import Any

from .model import PartnerClient, PartnerKey


class AccessRefused(Exception):
    """The key must not reach any route (API Gateway answers 401)."""


def grant(key: PartnerKey | None, client: PartnerClient | None, now_iso: str) -> dict[str, Any]:
    """The partner as the request context carries it (every value a string); AccessRefused if nothing."""
    if key is None or client is None:
        raise AccessRefused("unknown key")
    if key.revoked_at is not None:
        raise AccessRefused("the key is revoked")
    if not key.live(now_iso):
        raise AccessRefused("the key has expired")
    if client.status != "active":
        raise AccessRefused(f"the client is {client.status}")
    return {"partner_client_id": client.id, "org_id": client.org_id, "key_id": key.id,
            "scopes": ",".join(client.scopes), "event_types": ",".join(client.event_types)}
