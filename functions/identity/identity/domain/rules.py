"""Who may do what to organisations and users, and which changes are allowed.

System administrators (sysadmin) manage organisations. An organisation's admin
manages its own users. Nobody sees another organisation's users — not even a
sysadmin; another organisation's resources answer 404 so their existence is not
disclosed.
"""
from __future__ import annotations

from typing import Iterable

from shared.auth import ROLES, Caller
from shared.problems import Conflict, Forbidden, ValidationFailed

from .model import Organisation, User

USER_READERS = ("admin", "auditor")


def require_sysadmin(caller: Caller) -> None:
    if not caller.is_sysadmin:
        raise Forbidden("Only system administrators manage organisations.")


def require_can_view_org(caller: Caller, org_id: str) -> None:
    if not caller.is_sysadmin:
        caller.require_member_of(org_id)


def require_user_admin(caller: Caller, org_id: str) -> None:
    caller.require_member_of(org_id)
    caller.require_role("admin")


def require_can_view_user(caller: Caller, org_id: str, user_id: str | None = None) -> None:
    caller.require_member_of(org_id, resource="user")
    if user_id is not None and user_id == caller.user_id:
        return
    caller.require_role(*USER_READERS)


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    roles = tuple(sorted(set(roles)))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationFailed(f"Unknown role: {unknown[0]}", errors=[{"field": "roles", "message": f"must be among {', '.join(ROLES)}"}])
    if not roles:
        raise ValidationFailed("A user needs at least one role.", errors=[{"field": "roles", "message": "empty"}])
    return roles


def check_parent(org_id: str, parent: Organisation | None, parent_id: str | None, ancestors: list[str]) -> None:
    """The parent must exist, be active, and not make the hierarchy a loop."""
    if parent_id is None:
        return
    if parent is None:
        raise ValidationFailed("parent_id names no organisation.", errors=[{"field": "parent_id", "message": "not found"}])
    if parent.status != "active":
        raise Conflict("The parent organisation is inactive.")
    if parent_id == org_id or org_id in ancestors:
        raise Conflict("An organisation cannot be its own ancestor.")


def check_status_change(user: User, target: str, caller: Caller) -> None:
    if user.id == caller.user_id:
        raise Conflict("You cannot change your own account's status; ask another admin.")
    allowed = {"deactivated": ("active",), "active": ("deactivated",)}[target]
    if user.status not in allowed:
        raise Conflict(f"A {user.status} user cannot become {target}.")


def check_role_change(user: User, roles: tuple[str, ...], caller: Caller) -> None:
    if user.status != "active":
        raise Conflict(f"Roles of a {user.status} user cannot change.")
    if user.id == caller.user_id and "admin" not in roles:
        raise Conflict("You cannot remove your own admin role; ask another admin.")

