"""The caller, read from what the authorizer put in the request (never from a call to identity).

The API's staff authorizer (identity's Lambda authorizer, identity/authorizer.py)
verifies the Cognito ID token, looks the user up in identity's table and puts the
caller in `requestContext.authorizer`: `user_id`, `org_id`, `roles` (comma-joined:
the roles the user holds now, not when the token was issued) and `email`, every value
a string. So no route needs a synchronous hop to identity to know who is calling, and
a revoked role ends with the authorizer's cache window (60 s), not with the token.

Partner routes read the partner the same way: the partner authorizer (partners/authorizer.py)
puts `partner_client_id`, `org_id`, `scopes` and `event_types` there, and a route declared
with `partner="<scope>"` (shared.http) gets a `Partner` and refuses (403) one without that
scope (`Partner.require_scope`).

The guards every capability uses: `Caller.require_org` (the caller's own organisation,
once the caller holds one of the roles a use case needs) and `require_found` (a missing
entity, or another organisation's, answers 404 so its existence is not disclosed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import json
from typing import Any, Mapping, TypeVar

from shared.problems import Forbidden, NotFound, Unauthenticated

ROLES = ("admin", "archivist", "stack_manager", "requester", "auditor")
SYSADMIN = "sysadmin"  # platform operators; granted in the identity provider only
# What a partner client may be allowed to call (its scopes); each partner route declares one.
PARTNER_SCOPES = {
    "directory:read": "the partner directory of organisations",
    "environment:write": "post sensor readings",
    "scans:write": "post a scanner's shelves into the session bound to it",
    "feed:read": "read the organisation's change feed",
    "webhooks:manage": "manage its own webhook subscriptions, read their delivery log, redeliver",
}
ANY_PARTNER = "any"  # a partner route every partner client may call, whatever its scopes (e.g. who am I)

T = TypeVar("T")


def not_found(resource: str) -> NotFound:
    return NotFound(f"No {resource} with that id in your organisation.")


def require_found(entity: T | None, resource: str) -> T:
    """The entity read from the caller's organisation; none answers 404 (another organisation's alike)."""
    if entity is None:
        raise not_found(resource)
    return entity


@dataclass(frozen=True)
class Caller:
    user_id: str
    org_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None

    @property
    def is_sysadmin(self) -> bool:
        return SYSADMIN in self.roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise Forbidden(f"This action needs one of the roles: {', '.join(roles)}.")

    def require_member_of(self, org_id: str, *, resource: str = "organisation") -> None:
        """Another organisation's data answers 404, not 403: its existence is not disclosed."""
        if org_id != self.org_id:
            raise not_found(resource)

    def require_org(self, *roles: str, holdings: str | None = None) -> str:
        """The caller's own organisation (from the token), once the caller holds one of `roles`.

        What capabilities keep belongs to an organisation: a token that names none is refused
        (403) before the roles are looked at. `holdings` says what belongs, in that message."""
        if not self.org_id:
            raise Forbidden("Your token names no organisation" +
                            (f"; {holdings} belong to organisations." if holdings else "."))
        if roles:
            self.require_role(*roles)
        return self.org_id

    def as_actor(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "org_id": self.org_id}


@dataclass(frozen=True)
class Partner:
    """A partner client calling with one of its API keys (never the key itself)."""

    client_id: str
    org_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    event_types: tuple[str, ...] = ()
    key_id: str | None = None

    def require_scope(self, scope: str) -> str:
        """The partner's organisation, once its client holds `scope` (403 otherwise)."""
        if scope != ANY_PARTNER and scope not in self.scopes:
            raise Forbidden(f"This partner client is not allowed {scope!r}; its organisation's admins grant scopes.")
        return self.org_id

    def as_actor(self) -> dict[str, Any]:
        return {"user_id": f"partner:{self.client_id}", "org_id": self.org_id, "partner_client_id": self.client_id}


def partner_from_authorizer(context: Mapping[str, Any] | None) -> Partner:
    if not context or not context.get("partner_client_id") or not context.get("org_id"):
        raise Unauthenticated("No partner key reached this route.")
    return Partner(client_id=str(context["partner_client_id"]), org_id=str(context["org_id"]),
                   scopes=frozenset(p for p in str(context.get("scopes") or "").split(",") if p),
                   event_types=tuple(p for p in str(context.get("event_types") or "").split(",") if p),
                   key_id=context.get("key_id") or None)


def require_scope(partner: Partner | None, scope: str) -> str:
    """The guard of a partner route: a partner reached it, holding `scope`; its organisation."""
    if partner is None:
        raise Unauthenticated("No partner key reached this route.")
    return partner.require_scope(scope)


def parse_groups(value: Any) -> frozenset[str]:
    """Accept the shapes gateways use for list claims: list, JSON list, '[a, b]', 'a,b' or 'a b'."""
    if value is None or value == "":
        return frozenset()
    if isinstance(value, (list, tuple)):
        return frozenset(str(v) for v in value)
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return frozenset(str(v) for v in parsed)
        except ValueError:
            pass
        text = text[1:-1]
    return frozenset(part for part in text.replace(",", " ").split() if part)


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    if not claims:
        raise Unauthenticated("No verified identity reached this route.")
    user_id = claims.get("cognito:username") or claims.get("sub")
    if not user_id:
        raise Unauthenticated("The token names no user.")
    return Caller(
        user_id=str(user_id),
        org_id=claims.get("custom:org_id") or None,
        roles=parse_groups(claims.get("cognito:groups")),
        email=claims.get("email"),
    )


def caller_from_authorizer(context: Mapping[str, Any] | None) -> Caller:
    if not context or not context.get("user_id"):
        raise Unauthenticated("No verified identity reached this route.")
    return Caller(user_id=str(context["user_id"]), org_id=context.get("org_id") or None,
                  roles=parse_groups(context.get("roles")), email=context.get("email") or None)


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    return caller_from_authorizer((event.get("requestContext") or {}).get("authorizer"))
