"""The steps of the provisioning saga (provision_user.asl.json): account, groups, active profile;
compensations remove the account and mark the profile failed (tolerating "nothing to undo")."""
from __future__ import annotations

from typing import Any

from shared.events import now_iso, system_actor

from ..data import directory as store
from ..domain.model import User
from ..integration import idp
from .common import event, user_subjects


class ProfileNotProvisioning(Exception):
    """Business rejection: the profile left 'provisioning' (e.g. failed earlier); do not retry."""


def _saga_user(data: dict[str, Any]) -> User:
    user = store.get_user(data["org_id"], data["id"])
    if user is None:
        raise ProfileNotProvisioning(f"user {data['id']} has no profile")
    return user


def step_create_account(data: dict[str, Any]) -> dict[str, Any]:
    created = idp.create_account(data["id"], data["email"], data["org_id"])
    return {"account_created": created}


def step_assign_roles(data: dict[str, Any]) -> dict[str, Any]:
    idp.set_groups(data["id"], data["roles"])
    return {"groups": sorted(data["roles"])}


def step_activate_profile(data: dict[str, Any]) -> dict[str, Any]:
    user = _saga_user(data)
    if user.status == "active":
        return {"status": "active", "already": True}
    if user.status != "provisioning":
        raise ProfileNotProvisioning(f"user {user.id} is {user.status}")
    active = user.with_changes(status="active", version=user.version + 1, updated_at=now_iso())
    store.update_user(active, event("UserProvisioned", user_subjects(active), active.public(), system_actor()),
                      expected_status="provisioning")
    return {"status": "active", "already": False}


def step_remove_account(data: dict[str, Any]) -> dict[str, Any]:
    return {"account_removed": idp.delete_account(data["id"])}


def step_mark_failed(data: dict[str, Any], error: dict[str, Any] | None) -> dict[str, Any]:
    user = store.get_user(data["org_id"], data["id"])
    if user is None or user.status == "failed":
        return {"status": "failed", "already": True}
    if user.status != "provisioning":
        return {"status": user.status, "already": True}  # nothing of ours to undo
    reason = (error or {}).get("Error", "ProvisioningFailed")
    failed = user.with_changes(status="failed", failure=reason, version=user.version + 1, updated_at=now_iso())
    store.update_user(failed, event("UserProvisioningFailed", user_subjects(failed),
                                    {"user": failed.public(), "error": error or {}}, system_actor()),
                      expected_status="provisioning", release_email=True)
    return {"status": "failed", "already": False}
