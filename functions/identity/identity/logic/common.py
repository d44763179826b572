"""What every identity use case shares: its events and their subjects, and making a user."""
from __future__ import annotations

from typing import Any

from shared.events import EventFactory, Subject, now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id, logger

from ..domain import rules
from ..domain.model import User
from ..integration import workflows

event = EventFactory("identity")


def org_subject(org_id: str) -> Subject:
    return Subject("organisation", org_id, org_id)


def user_subjects(user: User) -> list[Subject]:
    return [Subject("user", user.id, user.org_id), org_subject(user.org_id)]


def new_user(org_id: str, body: dict[str, Any], scope: str, idempotency_key: str | None,
             user_id: str | None = None, platform_roles: tuple[str, ...] = ()) -> User:
    stamp = now_iso()
    roles = rules.check_roles(r for r in body["roles"] if r not in platform_roles) + tuple(
        r for r in platform_roles if r in body["roles"])
    return User(id=user_id or derived_id(scope, idempotency_key), org_id=org_id, email=body["email"].strip().lower(),
                display_name=body["display_name"].strip(), roles=tuple(sorted(roles)),
                created_at=stamp, updated_at=stamp)


def start_provisioning(user: User) -> None:
    try:
        workflows.start_provisioning(user, correlation_id())
    except Exception:  # the reconciler restarts provisioning that never began
        logger.exception("could not start provisioning; the reconcile job will retry", extra={"user_id": user.id})
