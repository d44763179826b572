"""Partner clients and their API keys as the partners capability sees them.

A partner client (연계 시스템: another agency's system, a scanner, a sensor gateway, a
producing business system) belongs to one organisation, which registers it with the
partner routes it may call (`scopes`), the event types it may read (`event_types`) and
its hard quotas. It calls with API keys; at most two are live at once (rotation).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

CLIENT_STATUSES = ("active", "disabled")
MAX_LIVE_KEYS = 2  # the current key and its successor while a partner rotates


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True)
class Quota:
    """Hard limits per client: requests per minute and per day (fixed UTC windows)."""

    per_minute: int = 60
    per_day: int = 10_000

    def public(self) -> dict[str, int]:
        return {"per_minute": self.per_minute, "per_day": self.per_day}


@dataclass(frozen=True)
class PartnerClient:
    org_id: str
    id: str
    name: str
    contact: Contact
    scopes: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    quota: Quota = Quota()
    status: str = "active"
    version: int = 1
    keyring: int = 0  # bumped by every key issued or revoked: two issues racing cannot both pass the limit
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "org_id": self.org_id, "name": self.name,
                "contact": {"name": self.contact.name, "email": self.contact.email},
                "scopes": list(self.scopes), "event_types": list(self.event_types), "quota": self.quota.public(),
                "status": self.status, "version": self.version, "created_by": self.created_by,
                "created_at": self.created_at, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "PartnerClient":
        return replace(self, **changes)


@dataclass(frozen=True)
class PartnerKey:
    """An API key: only its SHA-256 hash is kept; `id` is the readable prefix of the secret."""

    org_id: str
    client_id: str
    id: str
    secret_hash: str
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None
    created_by: str = ""

    def live(self, now_iso: str) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now_iso)

    def status(self, now_iso: str) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.live(now_iso) else "expired"

    def public(self, now_iso: str) -> dict[str, Any]:
        return {"id": self.id, "client_id": self.client_id, "prefix": self.id, "status": self.status(now_iso),
                "created_at": self.created_at, "expires_at": self.expires_at, "revoked_at": self.revoked_at,
                "last_used_at": self.last_used_at, "created_by": self.created_by}
