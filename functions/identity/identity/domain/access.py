"""Who may call the API right now: the token says who signed in, identity's table says what they may do.

A token lives 60 minutes; a deactivation or a removed role must not. The authorizer
therefore takes the organisation and roles from the table, not from the token, and
refuses users who are not active. The only role the table does not hold is the
platform operator's (`sysadmin`), granted in the identity provider alone: it is kept
from the token, and only for users the table knows as active.
"""
from __future__ import annotations

from typing import Any

from shared.auth import SYSADMIN

from .model import User


class AccessRefused(Exception):
    """The token must not reach any route (API Gateway answers 401)."""


def grant(token_org_id: str | None, token_roles: frozenset[str], user: User | None) -> dict[str, Any]:
    """What the caller may do now, as the request context carries it; AccessRefused if nothing."""
    if user is None:
        raise AccessRefused("unknown user")
    if user.status != "active":
        raise AccessRefused(f"the account is {user.status}")
    if token_org_id != user.org_id:
        raise AccessRefused("the token names another organisation")
    roles = set(user.roles) | (token_roles & {SYSADMIN})
    return {"user_id": user.id, "org_id": user.org_id, "roles": ",".join(sorted(roles)), "email": user.email}
