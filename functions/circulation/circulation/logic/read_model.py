"""Circulation's read model of stacks' boxes, fed by stacks' events (no route calls stacks)."""
from __future__ import annotations

from typing import Any

from ..data import loans as store
from ..domain.model import BoxFacts


def apply_stacks_event(envelope: dict[str, Any]) -> str:
    """Fold one of stacks' box events into the local box facts. Late and duplicate events change nothing."""
    box_subjects = [s for s in envelope.get("subjects") or [] if s.get("kind") == "box"]
    payload = envelope.get("payload") or {}
    box = payload.get("box") or (payload if envelope.get("type") == "BoxRegistered" else None)
    if not box_subjects or not isinstance(box, dict) or "version" not in box:
        return "ignored"
    org_id = box_subjects[0].get("org_id")
    if not org_id or box.get("id") != box_subjects[0]["id"]:
        return "ignored"
    facts = BoxFacts(org_id=org_id, box_id=box["id"], status=box.get("status"), loan_id=box.get("loan_id"),
                     barcode=box.get("barcode"), title=box.get("title"),
                     home_location_id=box.get("home_location_id"), current_location=box.get("current_location"),
                     retention=box.get("retention"), version=int(box["version"]),
                     occurred_at=envelope.get("occurred_at") or "", event_id=envelope.get("id") or "")
    return "applied" if store.apply_box_facts(facts) else "stale"
