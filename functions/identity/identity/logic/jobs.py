"""Scheduled jobs: reconcile the identity provider with the table, and bootstrap the first users."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.auth import SYSADMIN
from shared.events import now_iso, system_actor
from shared.observability import correlation_id
from shared.problems import ValidationFailed

from ..data import directory as store
from ..domain.model import Organisation
from ..integration import workflows
from .common import event, new_user, org_subject, start_provisioning, user_subjects
from .idp_sync import sync_identity_provider


def reconcile_identity_provider(now: datetime | None = None, settle: timedelta = timedelta(minutes=5)) -> dict[str, int]:
    """Scheduled: bring the identity provider in line with the table.

    Users stuck in 'provisioning' get their saga (re)started; changes not yet applied
    to the provider are applied. Only entries older than `settle` are touched, so work
    still in flight is left to finish.
    """
    cutoff = clock.iso_instant((now or clock.utc_now()) - settle)
    stuck = store.users_waiting(store.PROVISIONING, cutoff)
    restarted = sum(1 for user in stuck if workflows.ensure_provisioning(user, correlation_id()))
    pending = store.users_waiting(store.IDP_SYNC, cutoff)
    applied = sum(1 for user in pending if sync_identity_provider(user.org_id, user.id) == "applied")
    return {"stuck": len(stuck), "restarted": restarted, "unsynced": len(pending), "synced": applied}


def bootstrap(organisations: list[dict[str, Any]], users: list[dict[str, Any]]) -> dict[str, Any]:
    """Create missing organisations and users (initial set-up and the local demo); idempotent."""
    created = {"organisations": [], "users": []}
    actor = system_actor()
    for spec in organisations:
        if store.get_organisation(spec["id"]) is None:
            stamp = now_iso()
            org = Organisation(id=spec["id"], name=spec["name"], type=spec["type"], parent_id=spec.get("parent_id"),
                               created_at=stamp, updated_at=stamp)
            store.create_organisation(org, event("OrganisationCreated", [org_subject(org.id)], org.public(), actor))
            created["organisations"].append(org.id)
    for spec in users:
        if spec.get("roles") is None or spec.get("email") is None:
            raise ValidationFailed("bootstrap users need email and roles")
        existing = store.get_user(spec["org_id"], spec["id"])
        if existing is None:
            user = new_user(spec["org_id"], spec, "bootstrap", None, user_id=spec["id"], platform_roles=(SYSADMIN,))
            store.create_user(user, event("UserRegistered", user_subjects(user), user.public(), actor))
            start_provisioning(user)
            created["users"].append(user.id)
    return created
