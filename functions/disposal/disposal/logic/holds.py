"""Holds (보류): place one with its mandate and scope, lift it with a reason, list them, and answer "why can't
this file be destroyed?" with the holds that apply to it."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict

from ..data import files as files_store
from ..data import holds as store
from ..domain import rules
from ..domain.access import holder_org, reader_org
from ..domain.model import Hold, Mandate, Scope
from .common import event, file_subject, hold_subject, refuse_if


def _subjects(hold: Hold) -> list:
    return [hold_subject(hold.org_id, hold.id), *(file_subject(hold.org_id, f) for f in hold.scope.files)]


def place_hold(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Hold:
    org_id = holder_org(caller)
    scope = body["scope"]
    refuse_if(rules.scope_errors(scope))
    mandate = body["mandate"]
    hold = Hold(org_id=org_id, id=derived_id(f"hold|{org_id}|{caller.user_id}", idempotency_key),
                mandate=Mandate(mandate["reason"], mandate["authority"], mandate.get("reference")),
                scope=Scope(*(tuple(dict.fromkeys(scope.get(k) or ())) for k in
                              ("files", "class_codes", "producing_units"))),
                placed_by=caller.user_id, placed_at=now_iso())
    store.place(hold, event("HoldPlaced", _subjects(hold), hold.public(), caller.as_actor()))
    return hold


def get_hold(caller: Caller, hold_id: str) -> Hold:
    return require_found(store.get_hold(reader_org(caller), hold_id), "hold")


def list_holds(caller: Caller, status: str | None, limit: int, cursor: str | None):
    return store.list_holds(reader_org(caller), limit, cursor, status)


def lift_hold(caller: Caller, hold_id: str, body: dict[str, Any], expected_version: int) -> Hold:
    org_id = holder_org(caller)
    before = require_found(store.get_hold(org_id, hold_id, consistent=True), "hold")
    require_version(before, expected_version, "hold")
    if before.status != "active":
        raise Conflict(f"The hold was lifted on {before.lifted_at}.")
    after = before.with_changes(status="lifted", lifted_by=caller.user_id, lifted_at=now_iso(),
                                lift_reason=body["reason"], version=before.version + 1)
    store.save(after, before, event("HoldLifted", _subjects(after),
                                    {"hold_id": after.id, "reason": after.lift_reason, "lifted_at": after.lifted_at},
                                    caller.as_actor()))
    return after


def file_holds(caller: Caller, file_id: str) -> dict[str, Any]:
    """The file as disposal knows it, whether it is held, and the active holds that apply (404 for a file
    records never told disposal of, unless a hold names it by id)."""
    org_id = reader_org(caller)
    file = files_store.get_file(org_id, file_id)
    applying = rules.holds_on(store.active_holds(org_id), file_id, file)
    if file is None and not applying:
        require_found(None, "file")
    return {"file_id": file_id, "file": file.public() if file else None, "held": bool(applying),
            "holds": [h.public() for h in applying]}

