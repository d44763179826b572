"""The organisation's circulation policy: read it, and replace it with optimistic concurrency."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.concurrency import require_version
from shared.events import Subject, now_iso

from ..data import loans as store
from ..domain import rules
from ..domain.policy import Policy, check_document
from .common import event


def get_policy(caller: Caller) -> Policy:
    return store.get_policy(rules.require_reader(caller))


def put_policy(caller: Caller, document: dict[str, Any], expected_version: int) -> Policy:
    org = rules.require_manager(caller)
    check_document(document)
    current = store.get_policy(org)
    require_version(current, expected_version, "policy")
    stamp = now_iso()
    policy = Policy.from_document(document, version=current.version + 1, updated_at=stamp, updated_by=caller.user_id)
    changed = event("CirculationPolicyChanged", [Subject("organisation", org, org)], {"policy": policy.public()},
                    caller.as_actor())
    store.save_policy(policy, expected_version, changed)
    return policy
