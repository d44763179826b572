"""The caller, read from the authorizer's claims (never from a call to identity).

API Gateway's Cognito authorizer puts the ID token's claims in
`requestContext.authorizer.claims`, every value a string. The organisation and
roles travel in the token (`custom:org_id`, `cognito:groups`), so no route needs a
synchronous hop to the identity capability to know who is calling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import json
from typing import Any, Mapping

from shared.problems import Forbidden, NotFound, Unauthenticated

ROLES = ("admin", "archivist", "stack_manager", "requester", "auditor")
SYSADMIN = "sysadmin"  # platform operators; granted in the identity provider only


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
            raise NotFound(f"No {resource} with that id in your organisation.")

    def as_actor(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "org_id": self.org_id}


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


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    context = event.get("requestContext") or {}
    return caller_from_claims((context.get("authorizer") or {}).get("claims"))
