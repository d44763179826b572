"""Condition findings (상태검사) and their follow-up tasks: recorded by scanners, decided by managers."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import Subject, now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, ValidationFailed

from ..data import campaigns as store
from ..domain import rules
from ..domain.model import Finding
from ..domain.rules import manager_org, reader_org, scanner_org
from .common import box_subjects, campaign_subject, event


def record_finding(caller: Caller, campaign_id: str, body: dict[str, Any], idempotency_key: str | None) -> Finding:
    org_id = scanner_org(caller)
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    if campaign.status == "closed":
        raise Conflict("The campaign is closed; it takes no more findings.")
    location = body.get("location_id")
    if location is not None and not campaign.scope.covers(location):
        raise ValidationFailed(f"location_id: shelf {location} is outside the campaign's scope.",
                               errors=[{"field": "location_id", "message": "outside the campaign's scope"}])
    box_id, barcode = body.get("box_id"), body.get("barcode")
    if box_id is None:  # name the box the label belongs to, when the read model knows it
        known = store.boxes_by_barcode(org_id, [barcode]).get(barcode)
        box_id = known.box_id if known else None
    stamp = now_iso()
    finding = Finding(org_id=org_id, campaign_id=campaign_id,
                      id=derived_id(f"finding|{campaign_id}|{caller.user_id}", idempotency_key),
                      box_id=box_id, barcode=barcode, location_id=location,
                      conditions=tuple(dict.fromkeys(body["conditions"])), note=body.get("note"),
                      owner=body.get("owner"), recorded_by=caller.user_id, created_at=stamp, updated_at=stamp)
    store.create_finding(finding, event("ConditionFindingRecorded", [campaign_subject(campaign)] + box_subjects(finding),
                                        finding.public(), caller.as_actor()))
    return finding


def list_findings(caller: Caller, campaign_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_campaign(org_id, campaign_id), "campaign")
    return store.list_findings(org_id, campaign_id, limit, cursor)


def get_finding(caller: Caller, campaign_id: str, finding_id: str) -> Finding:
    return require_found(store.get_finding(reader_org(caller), campaign_id, finding_id), "finding")


def update_finding(caller: Caller, campaign_id: str, finding_id: str, changes: dict[str, Any],
                   expected_version: int) -> Finding:
    """The follow-up task: owner, status, and the decision (only stack managers and admins decide)."""
    org_id = scanner_org(caller)
    before = require_found(store.get_finding(org_id, campaign_id, finding_id), "finding")
    if "decision" in changes:
        manager_org(caller)  # a decision may be revised, never withdrawn (the schema refuses null)
    require_version(before, expected_version, "finding")
    target = changes.get("status", before.task_status)
    try:
        rules.check_task_move(before.task_status, target)
    except rules.CloseRefused as exc:
        raise Conflict(str(exc)) from None
    fields = {"task_status": target}
    for name in ("owner", "decision", "decision_note", "note"):
        if name in changes:
            fields[name] = changes[name]
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.save_finding(after, before, event("ConditionFindingUpdated",
                                            [Subject("campaign", campaign_id, org_id)] + box_subjects(after),
                                            {"changes": changes, "finding": after.public()}, caller.as_actor()))
    return after
