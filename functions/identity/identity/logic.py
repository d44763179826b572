"""Identity's use cases: check the rules, change the table (with the event), drive the saga.

Functions take the caller and plain data, return domain objects, and know nothing
of HTTP. The identity provider (Cognito) and the table are kept consistent: new
users go through the provisioning saga; role and status changes apply to the
provider first and are undone there if the table write is refused.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from shared.auth import SYSADMIN, Caller
from shared.concurrency import stale
from shared.events import Subject, new_event, now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id, logger
from shared.problems import Conflict, InvalidCursor, ValidationFailed

from .data import repository as repo
from .domain import rules
from .domain.model import Organisation, User
from .integration import idp, workflows

CAPABILITY = "identity"
SYSTEM_ACTOR = {"user_id": "system", "org_id": None}


def _event(type_: str, subjects: list[Subject], payload: dict[str, Any], actor: dict[str, Any]):
    return new_event(CAPABILITY, type_, subjects, payload, actor=actor, correlation_id=correlation_id())


def _org_subject(org_id: str) -> Subject:
    return Subject("organisation", org_id, org_id)


def _user_subjects(user: User) -> list[Subject]:
    return [Subject("user", user.id, user.org_id), _org_subject(user.org_id)]


# ---------------------------------------------------------------------- me
def me(caller: Caller) -> dict[str, Any]:
    user = repo.get_user(caller.org_id, caller.user_id) if caller.org_id else None
    org = repo.get_organisation(caller.org_id) if caller.org_id else None
    profile = user.public() if user else {"id": caller.user_id, "email": caller.email, "org_id": caller.org_id,
                                          "status": "unregistered"}
    return {"user": profile, "organisation": org.public() if org else None, "roles": sorted(caller.roles)}


# ------------------------------------------------------------ organisations
def create_organisation(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> tuple[Organisation, User | None]:
    rules.require_sysadmin(caller)
    org_id = body.get("id") or derived_id(f"org|{caller.user_id}", idempotency_key)
    parent_id = body.get("parent_id")
    _check_parent(org_id, parent_id)
    stamp = now_iso()
    org = Organisation(id=org_id, name=body["name"].strip(), type=body["type"], parent_id=parent_id,
                       created_at=stamp, updated_at=stamp)
    event = _event("OrganisationCreated", [_org_subject(org.id)], org.public(), caller.as_actor())
    admin = admin_event = None
    if body.get("admin"):
        admin = _new_user(org.id, {**body["admin"], "roles": ["admin"]}, f"org-admin|{org.id}", idempotency_key)
        admin_event = _event("UserRegistered", _user_subjects(admin), admin.public(), caller.as_actor())
    repo.create_organisation(org, event, admin, admin_event)
    if admin:
        _start_provisioning(admin)
    return org, admin


def _check_parent(org_id: str, parent_id: str | None) -> None:
    parent = repo.get_organisation(parent_id) if parent_id else None
    chain = [parent_id, *repo.ancestors(parent.parent_id)] if parent else []
    rules.check_parent(org_id, parent, parent_id, chain)


def list_organisations(caller: Caller, limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    if caller.is_sysadmin:
        return repo.list_organisations(limit, cursor)
    if cursor:
        raise InvalidCursor("This listing has a single page.")
    own = repo.get_organisation(caller.org_id) if caller.org_id else None
    return ([own] if own else []), None


def directory(limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    """The partner directory: active organisations' names and types, nothing more."""
    orgs, next_cursor = repo.list_organisations(limit, cursor)
    return [o for o in orgs if o.status == "active"], next_cursor


def get_organisation(caller: Caller, org_id: str) -> Organisation:
    rules.require_can_view_org(caller, org_id)
    return rules.require_found(repo.get_organisation(org_id), "organisation")


def update_organisation(caller: Caller, org_id: str, changes: dict[str, Any], expected_version: int) -> Organisation:
    rules.require_sysadmin(caller)
    org = rules.require_found(repo.get_organisation(org_id), "organisation")
    if "parent_id" in changes and changes["parent_id"] != org.parent_id:
        _check_parent(org_id, changes["parent_id"])
    fields = {k: (v.strip() if k == "name" else v) for k, v in changes.items()}
    updated = Organisation(**{**org.__dict__, **fields, "version": expected_version + 1, "updated_at": now_iso()})
    event = _event("OrganisationUpdated", [_org_subject(org_id)], {"changes": fields, "organisation": updated.public()},
                   caller.as_actor())
    repo.update_organisation(updated, expected_version, event)
    return updated


# --------------------------------------------------------------------- users
def _new_user(org_id: str, body: dict[str, Any], scope: str, idempotency_key: str | None,
              user_id: str | None = None, platform_roles: tuple[str, ...] = ()) -> User:
    stamp = now_iso()
    roles = rules.check_roles(r for r in body["roles"] if r not in platform_roles) + tuple(
        r for r in platform_roles if r in body["roles"])
    return User(id=user_id or derived_id(scope, idempotency_key), org_id=org_id, email=body["email"].strip().lower(),
                display_name=body["display_name"].strip(), roles=tuple(sorted(roles)),
                created_at=stamp, updated_at=stamp)


def _start_provisioning(user: User) -> None:
    try:
        workflows.start_provisioning(user, correlation_id())
    except Exception:  # the reconciler restarts provisioning that never began
        logger.exception("could not start provisioning; the reconcile job will retry", extra={"user_id": user.id})


def create_user(caller: Caller, org_id: str, body: dict[str, Any], idempotency_key: str | None) -> User:
    rules.require_user_admin(caller, org_id)
    org = rules.require_found(repo.get_organisation(org_id), "organisation")
    if org.status != "active":
        raise Conflict("Users cannot be added to an inactive organisation.")
    user = _new_user(org_id, body, f"user|{caller.user_id}", idempotency_key)
    repo.create_user(user, _event("UserRegistered", _user_subjects(user), user.public(), caller.as_actor()))
    _start_provisioning(user)
    return user


def list_users(caller: Caller, org_id: str, limit: int, cursor: str | None, status: str | None) -> tuple[list[User], str | None]:
    rules.require_can_view_user(caller, org_id)
    return repo.list_users(org_id, limit, cursor, status)


def get_user(caller: Caller, org_id: str, user_id: str) -> User:
    rules.require_can_view_user(caller, org_id, user_id)
    return rules.require_found(repo.get_user(org_id, user_id), "user")


def update_user(caller: Caller, org_id: str, user_id: str, changes: dict[str, Any], expected_version: int) -> User:
    rules.require_user_admin(caller, org_id)
    user = rules.require_found(repo.get_user(org_id, user_id), "user")
    fields: dict[str, Any] = {}
    if "display_name" in changes:
        fields["display_name"] = changes["display_name"].strip()
    if "roles" in changes:
        # Platform roles are granted outside the API and survive an edit of organisation roles.
        kept = tuple(r for r in user.roles if r == SYSADMIN)
        fields["roles"] = tuple(sorted(rules.check_roles(changes["roles"]) + kept))
        rules.check_role_change(user, fields["roles"], caller)
    if user.version != expected_version:
        raise stale("user")
    updated = user.with_changes(**fields, version=user.version + 1, updated_at=now_iso())
    event = _event("UserUpdated", _user_subjects(updated),
                   {"changes": {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()},
                    "user": updated.public()}, caller.as_actor())
    repo.update_user(updated, event, expected_version=expected_version, idp_pending="roles" in fields)
    if "roles" in fields:
        _sync_now(updated)
    return updated


def set_status(caller: Caller, org_id: str, user_id: str, target: str, expected_version: int) -> User:
    rules.require_user_admin(caller, org_id)
    user = rules.require_found(repo.get_user(org_id, user_id), "user")
    rules.check_status_change(user, target, caller)
    if user.version != expected_version:
        raise stale("user")
    updated = user.with_changes(status=target, version=user.version + 1, updated_at=now_iso())
    event = _event("UserDeactivated" if target == "deactivated" else "UserReactivated", _user_subjects(updated),
                   {"user": updated.public()}, caller.as_actor())
    repo.update_user(updated, event, expected_version=expected_version, idp_pending=True)
    _sync_now(updated)
    return updated


# -------------------------------------------------- identity-provider sync
# The table is the source of truth. A change is written with an "IdP pending" mark
# in the same transaction; then the latest state (read again, not the request's) is
# applied to the provider and the mark cleared only if no newer change landed — else
# the newer state is applied. Whatever is left pending, the scheduled job applies.
SYNC_ATTEMPTS = 3


def sync_identity_provider(org_id: str, user_id: str) -> str:
    for _ in range(SYNC_ATTEMPTS):
        user = repo.get_user(org_id, user_id, consistent=True)
        if user is None or user.status not in ("active", "deactivated"):
            return "skipped"
        idp.apply_state(user.id, user.roles, enabled=user.status == "active")
        if repo.clear_idp_pending(user):
            return "applied"
    return "pending"  # still changing; the next run applies the newest state


def _sync_now(user: User) -> None:
    try:
        sync_identity_provider(user.org_id, user.id)
    except Exception:  # the change is recorded; the reconcile job will apply it
        logger.exception("identity provider not updated yet; the reconcile job will retry", extra={"user_id": user.id})


# ---------------------------------------------------------- saga: provisioning
class ProfileNotProvisioning(Exception):
    """Business rejection: the profile left 'provisioning' (e.g. failed earlier); do not retry."""


def _saga_user(data: dict[str, Any]) -> User:
    user = repo.get_user(data["org_id"], data["id"])
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
    repo.update_user(active, _event("UserProvisioned", _user_subjects(active), active.public(), SYSTEM_ACTOR),
                     expected_status="provisioning")
    return {"status": "active", "already": False}


def step_remove_account(data: dict[str, Any]) -> dict[str, Any]:
    return {"account_removed": idp.delete_account(data["id"])}


def step_mark_failed(data: dict[str, Any], error: dict[str, Any] | None) -> dict[str, Any]:
    user = repo.get_user(data["org_id"], data["id"])
    if user is None or user.status == "failed":
        return {"status": "failed", "already": True}
    if user.status != "provisioning":
        return {"status": user.status, "already": True}  # nothing of ours to undo
    reason = (error or {}).get("Error", "ProvisioningFailed")
    failed = user.with_changes(status="failed", failure=reason, version=user.version + 1, updated_at=now_iso())
    repo.update_user(failed, _event("UserProvisioningFailed", _user_subjects(failed),
                                    {"user": failed.public(), "error": error or {}}, SYSTEM_ACTOR),
                     expected_status="provisioning", release_email=True)
    return {"status": "failed", "already": False}


# ------------------------------------------------------------------- jobs
def reconcile_identity_provider(now: datetime | None = None, settle: timedelta = timedelta(minutes=5)) -> dict[str, int]:
    """Scheduled: bring the identity provider in line with the table.

    Users stuck in 'provisioning' get their saga (re)started; changes not yet applied
    to the provider are applied. Only entries older than `settle` are touched, so work
    still in flight is left to finish.
    """
    cutoff = ((now or datetime.now(timezone.utc)) - settle).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    stuck = repo.users_waiting(repo.PROVISIONING, cutoff)
    restarted = sum(1 for user in stuck if workflows.ensure_provisioning(user, correlation_id()))
    pending = repo.users_waiting(repo.IDP_SYNC, cutoff)
    applied = sum(1 for user in pending if sync_identity_provider(user.org_id, user.id) == "applied")
    return {"stuck": len(stuck), "restarted": restarted, "unsynced": len(pending), "synced": applied}


def bootstrap(organisations: list[dict[str, Any]], users: list[dict[str, Any]]) -> dict[str, Any]:
    """Create missing organisations and users (initial set-up and the local demo); idempotent."""
    created = {"organisations": [], "users": []}
    actor = SYSTEM_ACTOR
    for spec in organisations:
        if repo.get_organisation(spec["id"]) is None:
            stamp = now_iso()
            org = Organisation(id=spec["id"], name=spec["name"], type=spec["type"], parent_id=spec.get("parent_id"),
                               created_at=stamp, updated_at=stamp)
            repo.create_organisation(org, _event("OrganisationCreated", [_org_subject(org.id)], org.public(), actor))
            created["organisations"].append(org.id)
    for spec in users:
        if spec.get("roles") is None or spec.get("email") is None:
            raise ValidationFailed("bootstrap users need email and roles")
        existing = repo.get_user(spec["org_id"], spec["id"])
        if existing is None:
            user = _new_user(spec["org_id"], spec, "bootstrap", None, user_id=spec["id"], platform_roles=(SYSADMIN,))
            repo.create_user(user, _event("UserRegistered", _user_subjects(user), user.public(), actor))
            _start_provisioning(user)
            created["users"].append(user.id)
    return created
