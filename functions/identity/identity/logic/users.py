"""Who am I, and an organisation's users: adding one (through the provisioning saga), reading,
changing roles and status (applied to the identity provider at once, see idp_sync)."""
from __future__ import annotations

from typing import Any

from shared.auth import SYSADMIN, Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.problems import Conflict

from ..data import directory as store
from ..domain import rules
from ..domain.model import User
from .common import event, new_user, start_provisioning, user_subjects
from .idp_sync import sync_now


def me(caller: Caller) -> dict[str, Any]:
    user = store.get_user(caller.org_id, caller.user_id) if caller.org_id else None
    org = store.get_organisation(caller.org_id) if caller.org_id else None
    profile = user.public() if user else {"id": caller.user_id, "email": caller.email, "org_id": caller.org_id,
                                          "status": "unregistered"}
    return {"user": profile, "organisation": org.public() if org else None, "roles": sorted(caller.roles)}


def create_user(caller: Caller, org_id: str, body: dict[str, Any], idempotency_key: str | None) -> User:
    rules.require_user_admin(caller, org_id)
    org = require_found(store.get_organisation(org_id), "organisation")
    if org.status != "active":
        raise Conflict("Users cannot be added to an inactive organisation.")
    user = new_user(org_id, body, f"user|{caller.user_id}", idempotency_key)
    store.create_user(user, event("UserRegistered", user_subjects(user), user.public(), caller.as_actor()))
    start_provisioning(user)
    return user


def list_users(caller: Caller, org_id: str, limit: int, cursor: str | None, status: str | None) -> tuple[list[User], str | None]:
    rules.require_can_view_user(caller, org_id)
    return store.list_users(org_id, limit, cursor, status)


def get_user(caller: Caller, org_id: str, user_id: str) -> User:
    rules.require_can_view_user(caller, org_id, user_id)
    return require_found(store.get_user(org_id, user_id), "user")


def update_user(caller: Caller, org_id: str, user_id: str, changes: dict[str, Any], expected_version: int) -> User:
    rules.require_user_admin(caller, org_id)
    user = require_found(store.get_user(org_id, user_id), "user")
    fields: dict[str, Any] = {}
    if "display_name" in changes:
        fields["display_name"] = changes["display_name"].strip()
    if "roles" in changes:
        # Platform roles are granted outside the API and survive an edit of organisation roles.
        kept = tuple(r for r in user.roles if r == SYSADMIN)
        fields["roles"] = tuple(sorted(rules.check_roles(changes["roles"]) + kept))
        rules.check_role_change(user, fields["roles"], caller)
    require_version(user, expected_version, "user")
    updated = user.with_changes(**fields, version=user.version + 1, updated_at=now_iso())
    changed = event("UserUpdated", user_subjects(updated),
                    {"changes": {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()},
                     "user": updated.public()}, caller.as_actor())
    store.update_user(updated, changed, expected_version=expected_version, idp_pending="roles" in fields)
    if "roles" in fields:
        sync_now(updated)
    return updated


def set_status(caller: Caller, org_id: str, user_id: str, target: str, expected_version: int) -> User:
    rules.require_user_admin(caller, org_id)
    user = require_found(store.get_user(org_id, user_id), "user")
    rules.check_status_change(user, target, caller)
    require_version(user, expected_version, "user")
    updated = user.with_changes(status=target, version=user.version + 1, updated_at=now_iso())
    changed = event("UserDeactivated" if target == "deactivated" else "UserReactivated", user_subjects(updated),
                    {"user": updated.public()}, caller.as_actor())
    store.update_user(updated, changed, expected_version=expected_version, idp_pending=True)
    sync_now(updated)
    return updated
