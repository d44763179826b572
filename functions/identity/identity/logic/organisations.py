"""Organisations: created and changed by system administrators, read by their members, and the
partner directory of active ones."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import InvalidCursor

from ..data import directory as store
from ..domain import rules
from ..domain.model import Organisation, User
from .common import event, new_user, org_subject, start_provisioning, user_subjects


def create_organisation(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> tuple[Organisation, User | None]:
    rules.require_sysadmin(caller)
    org_id = body.get("id") or derived_id(f"org|{caller.user_id}", idempotency_key)
    parent_id = body.get("parent_id")
    _check_parent(org_id, parent_id)
    stamp = now_iso()
    org = Organisation(id=org_id, name=body["name"].strip(), type=body["type"], parent_id=parent_id,
                       created_at=stamp, updated_at=stamp)
    changed = event("OrganisationCreated", [org_subject(org.id)], org.public(), caller.as_actor())
    admin = admin_event = None
    if body.get("admin"):
        admin = new_user(org.id, {**body["admin"], "roles": ["admin"]}, f"org-admin|{org.id}", idempotency_key)
        admin_event = event("UserRegistered", user_subjects(admin), admin.public(), caller.as_actor())
    store.create_organisation(org, changed, admin, admin_event)
    if admin:
        start_provisioning(admin)
    return org, admin


def _check_parent(org_id: str, parent_id: str | None) -> None:
    parent = store.get_organisation(parent_id) if parent_id else None
    chain = [parent_id, *store.ancestors(parent.parent_id)] if parent else []
    rules.check_parent(org_id, parent, parent_id, chain)


def list_organisations(caller: Caller, limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    if caller.is_sysadmin:
        return store.list_organisations(limit, cursor)
    if cursor:
        raise InvalidCursor("This listing has a single page.")
    own = store.get_organisation(caller.org_id) if caller.org_id else None
    return ([own] if own else []), None


def directory(limit: int, cursor: str | None) -> tuple[list[Organisation], str | None]:
    """The partner directory: active organisations' names and types, nothing more."""
    orgs, next_cursor = store.list_organisations(limit, cursor)
    return [o for o in orgs if o.status == "active"], next_cursor


def get_organisation(caller: Caller, org_id: str) -> Organisation:
    rules.require_can_view_org(caller, org_id)
    return require_found(store.get_organisation(org_id), "organisation")


def update_organisation(caller: Caller, org_id: str, changes: dict[str, Any], expected_version: int) -> Organisation:
    rules.require_sysadmin(caller)
    org = require_found(store.get_organisation(org_id), "organisation")
    if "parent_id" in changes and changes["parent_id"] != org.parent_id:
        _check_parent(org_id, changes["parent_id"])
    fields = {k: (v.strip() if k == "name" else v) for k, v in changes.items()}
    updated = Organisation(**{**org.__dict__, **fields, "version": expected_version + 1, "updated_at": now_iso()})
    changed = event("OrganisationUpdated", [org_subject(org_id)], {"changes": fields, "organisation": updated.public()},
                    caller.as_actor())
    store.update_organisation(updated, expected_version, changed)
    return updated
