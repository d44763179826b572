"""API keys of partner clients: issued (the secret shown once), listed, revoked by the organisation's admins.

Key issue is not replayed with an Idempotency-Key: a stored first answer would keep the secret
in the table and hand it out again. A retry issues another key; with at most two live keys per
client, the admin revokes the one that was not received.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.auth import Caller, not_found, require_found
from shared.clock import iso_instant
from shared.events import now_iso
from shared.problems import Conflict

from ..data import clients as store
from ..domain.keys import digest, new_key
from ..domain.model import MAX_LIVE_KEYS, PartnerClient, PartnerKey
from .common import client_subject, event, managing_org, reading_org


def _client(org_id: str, client_id: str) -> PartnerClient:
    return require_found(store.get_client(org_id, client_id, consistent=True), "partner client")


def issue_key(caller: Caller, client_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(the key's public form, the whole key): the caller gets the secret once, the table only its hash."""
    org_id = managing_org(caller)
    client = _client(org_id, client_id)
    now = datetime.now(timezone.utc)
    at = iso_instant(now)
    live = [k for k in store.client_keys(org_id, client.id) if k.live(at)]
    if len(live) >= MAX_LIVE_KEYS:
        raise Conflict(f"The client has {len(live)} live keys, the most it may hold; revoke one first "
                       f"({', '.join(k.id for k in live)}).")
    key_id, secret = new_key()
    expires = iso_instant(now + timedelta(days=body.get("expires_in_days", 365)))
    key = PartnerKey(org_id=org_id, client_id=client.id, id=key_id, secret_hash=digest(secret), created_at=at,
                     expires_at=expires, created_by=caller.user_id)
    store.issue_key(key, client, event("PartnerKeyIssued", [client_subject(client)], key.public(at),
                                       caller.as_actor()))
    return key.public(at), secret


def list_keys(caller: Caller, client_id: str) -> list[dict[str, Any]]:
    """Every key of the client, oldest first: prefixes, status and dates, never a secret."""
    org_id = reading_org(caller)
    client = require_found(store.get_client(org_id, client_id), "partner client")
    at = now_iso()
    return [key.public(at) for key in store.client_keys(org_id, client.id)]


def revoke_key(caller: Caller, client_id: str, key_id: str) -> dict[str, Any]:
    org_id = managing_org(caller)
    client = _client(org_id, client_id)
    key = store.get_key(key_id, consistent=True)
    if key is None or key.org_id != org_id or key.client_id != client.id:
        raise not_found("key of this partner client")
    at = now_iso()
    if key.revoked_at is not None:
        return key.public(at)  # already revoked: the same answer again
    store.revoke_key(key, client, at, event("PartnerKeyRevoked", [client_subject(client)],
                                            {"client_id": client.id, "key_id": key.id, "revoked_at": at},
                                            caller.as_actor()))
    return replace(key, revoked_at=at).public(at)
