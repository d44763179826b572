"""Webhook subscriptions (웹훅 구독) and how their deliveries are signed: Standard Webhooks 1.0.

A partner client subscribes an endpoint (an https URL) to some of the event types its scopes
allow. Each subscription has its own signing secret, `whsec_` + base64 of 32 random bytes,
shown once when it is made or rotated. A rotation keeps the previous secret valid for a
window: until it ends every delivery carries both signatures, space-separated, so a receiver
can switch secrets without losing a delivery.

Signing (Standard Webhooks 1.0, symmetric): the signed content is `{id}.{timestamp}.{body}`
with the exact body bytes sent; the signature is `v1,` + base64(HMAC-SHA256(secret bytes,
content)); the headers are `webhook-id` (the delivery's id, the same on every attempt, so
receivers can deduplicate), `webhook-timestamp` (seconds, the attempt's time) and
`webhook-signature`. Written with the standard library: tests prove it against the
`standardwebhooks` package's verifier.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
import hashlib
import hmac
import json
import secrets as random_secrets
from typing import Any, Iterable, Mapping

from . import scopes

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for at least 24
SUBSCRIPTION_STATUSES = ("enabled", "disabled")
MAX_SUBSCRIPTIONS_PER_CLIENT = 10
DEFAULT_ROTATION_WINDOW_SECONDS = 24 * 3600
MAX_ROTATION_WINDOW_SECONDS = 7 * 24 * 3600
USER_AGENT = "records-webhooks/1"


# --------------------------------------------------------------------- secrets
def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def fingerprint(secret: str) -> str:
    """Tells secrets apart in listings without showing any of one: the start of its SHA-256."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()[:12]


@dataclass(frozen=True)
class SigningSecret:
    value: str  # whsec_…; kept (encrypted at rest by the table) because every delivery is signed with it
    created_at: str
    expires_at: str | None = None  # the old secret of a rotation: valid until then

    def valid_at(self, now_iso: str) -> bool:
        return self.expires_at is None or now_iso < self.expires_at


# ---------------------------------------------------------------------- signing
def sign(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,<base64>` per secret, space-separated."""
    content = f"{msg_id}.{int(timestamp)}.".encode("utf-8") + body
    return " ".join("v1," + base64.b64encode(hmac.new(secret_bytes(s), content, hashlib.sha256).digest()).decode()
                    for s in secrets)


def signed_headers(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header a delivery carries."""
    return {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp)), "webhook-signature": sign(secrets, msg_id, timestamp, body)}


# ---------------------------------------------------------------- event types
def webhook_type(envelope: Mapping[str, Any]) -> str:
    """A domain event's type as partners see it (scopes.event_name): `<capability>.<EventType>` (e.g.
    `stacks.BoxPlaced`), full-stop delimited as Standard Webhooks recommends."""
    return scopes.event_name(str(envelope.get("source", "")), str(envelope.get("type", "")))


def type_allowed(event_type: str, patterns: Iterable[str]) -> bool:
    """Whether a type is among `patterns` (exact types, `<capability>.*` or `*`), as the feed decides it."""
    capability, _, name = event_type.partition(".")
    return scopes.event_allowed(patterns, scopes.SOURCE_PREFIX + capability, name)


def payload(envelope: Mapping[str, Any]) -> bytes:
    """The body of a delivery (Standard Webhooks' recommended shape: type, timestamp, data), minified
    once: the same bytes are signed and sent on every attempt."""
    data = {k: envelope.get(k) for k in ("id", "type", "source", "subjects", "payload", "occurred_at",
                                        "correlation_id", "schema_version")}
    return json.dumps({"type": webhook_type(envelope), "timestamp": envelope.get("occurred_at"), "data": data},
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- subscriptions
@dataclass(frozen=True)
class Subscription:
    org_id: str
    client_id: str
    id: str
    url: str
    event_types: tuple[str, ...]
    secrets: tuple[SigningSecret, ...] = ()  # the current one first
    status: str = "enabled"
    disabled_reason: str | None = None
    description: str | None = None
    throttled_until: float = 0.0  # epoch seconds: the endpoint asked us to slow down (429/502/504)
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"

    def wants(self, event_type: str) -> bool:
        return self.enabled and type_allowed(event_type, self.event_types)

    def signing_secrets(self, now_iso: str) -> list[str]:
        return [s.value for s in self.secrets if s.valid_at(now_iso)]

    def rotated(self, secret: str, now_iso: str, old_valid_until: str) -> "Subscription":
        """A new current secret; the previous one signs too until `old_valid_until` (older ones end now)."""
        kept = [replace(self.secrets[0], expires_at=old_valid_until)] if self.secrets else []
        return replace(self, secrets=(SigningSecret(secret, now_iso), *kept))

    def disabled(self, reason: str) -> "Subscription":
        return replace(self, status="disabled", disabled_reason=reason)

    def public(self, *, now_iso: str, secret: str | None = None) -> dict[str, Any]:
        """What the API shows: never a secret, except the one just made (`secret`, shown once)."""
        body: dict[str, Any] = {
            "id": self.id, "client_id": self.client_id, "url": self.url, "event_types": list(self.event_types),
            "status": self.status, "disabled_reason": self.disabled_reason, "description": self.description,
            "secrets": [{"created_at": s.created_at, "expires_at": s.expires_at, "fingerprint": fingerprint(s.value)}
                        for s in self.secrets if s.valid_at(now_iso)],
            "version": self.version, "created_at": self.created_at, "updated_at": self.updated_at}
        if secret is not None:
            body["secret"] = secret
        return body


@dataclass(frozen=True)
class SubscriptionChange:
    """A PATCH, already validated: only what it names changes."""

    url: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None
    description: str | None = None
    fields: frozenset[str] = field(default_factory=frozenset)

    def apply(self, sub: Subscription) -> Subscription:
        changed = sub
        if "url" in self.fields and self.url is not None:
            changed = replace(changed, url=self.url)
        if "event_types" in self.fields and self.event_types is not None:
            changed = replace(changed, event_types=self.event_types)
        if "description" in self.fields:
            changed = replace(changed, description=self.description)
        if "enabled" in self.fields and self.enabled is not None:
            changed = replace(changed, status="enabled" if self.enabled else "disabled",
                              disabled_reason=None if self.enabled else "disabled by the client",
                              throttled_until=0.0 if self.enabled else changed.throttled_until)
        return changed


def pattern_within(pattern: str, allowed: Iterable[str]) -> bool:
    """Whether a subscription's pattern asks for nothing beyond what the client may read: `stacks.BoxPlaced`
    needs that type, `stacks.*` or `*`; `stacks.*` needs `stacks.*` or `*`; `*` needs `*`."""
    allowed = set(allowed)
    if "*" in allowed or pattern in allowed:
        return True
    capability, _, name = pattern.partition(".")
    return name != "*" and pattern != "*" and f"{capability}.*" in allowed
