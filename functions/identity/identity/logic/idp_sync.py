"""Keeping the identity provider (Cognito) in line with the table, which is the source of truth."""
from __future__ import annotations

from shared.observability import logger

from ..data import directory as store
from ..domain.model import User
from ..integration import idp

# The table is the source of truth. A change is written with an "IdP pending" mark
# in the same transaction; then the latest state (read again, not the request's) is
# applied to the provider and the mark cleared only if no newer change landed — else
# the newer state is applied. Whatever is left pending, the scheduled job applies.
SYNC_ATTEMPTS = 3


def sync_identity_provider(org_id: str, user_id: str) -> str:
    for _ in range(SYNC_ATTEMPTS):
        user = store.get_user(org_id, user_id, consistent=True)
        if user is None or user.status not in ("active", "deactivated"):
            return "skipped"
        idp.apply_state(user.id, user.roles, enabled=user.status == "active")
        if store.clear_idp_pending(user):
            return "applied"
    return "pending"  # still changing; the next run applies the newest state


def sync_now(user: User) -> None:
    try:
        sync_identity_provider(user.org_id, user.id)
    except Exception:  # the change is recorded; the reconcile job will apply it
        logger.exception("identity provider not updated yet; the reconcile job will retry", extra={"user_id": user.id})
