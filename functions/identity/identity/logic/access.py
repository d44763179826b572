"""Who may call the API now: the staff authorizer's use case (identity/authorizer.py calls it)."""
from __future__ import annotations

from typing import Any

from shared.auth import parse_groups

from ..data import directory as store
from ..domain.access import grant
from ..integration import tokens


def authorize(header_value: str | None) -> tuple[str, dict[str, Any]]:
    """(principal id, request context) for a token of an active user; AccessRefused or
    tokens.InvalidToken otherwise. Organisation and roles come from the table, not the token."""
    verified = tokens.claims(header_value)
    user_id = verified.get("cognito:username") or verified.get("sub")
    org_id = verified.get("custom:org_id") or None
    user = store.get_user(org_id, str(user_id), consistent=True) if user_id and org_id else None
    return str(user_id), grant(org_id, parse_groups(verified.get("cognito:groups")), user)
