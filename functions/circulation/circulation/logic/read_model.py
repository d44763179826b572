"""Circulation's read model of stacks' boxes, fed by stacks' events (no route calls stacks)."""
from __future__ import annotations

from typing import Any

from ..data import loans as store
from ..domain.model import BoxFacts


def apply_stacks_events(envelopes: list[dict[str, Any]]) -> list[str | Exception]:
    """A batch of stacks' events at once: one outcome per envelope ("applied", "stale", "ignored", or
    the Exception that kept it from being applied: it comes again). Only each box's newest facts in the
    batch can change the model, so those are written together (data.apply_many_box_facts); an older
    event of a box answers "stale", or its newest's failure, so that it comes again with it."""
    outcomes: list[str | Exception] = ["ignored"] * len(envelopes)
    found: dict[int, BoxFacts] = {}
    for index, envelope in enumerate(envelopes):
        try:
            facts = box_facts(envelope)
        except Exception as exc:  # noqa: BLE001 — this event alone comes again
            outcomes[index] = exc
            continue
        if facts is not None:
            found[index] = facts
    newest: dict[tuple[str, str], BoxFacts] = {}
    for facts in found.values():
        key = (facts.org_id, facts.box_id)
        if key not in newest or (facts.version, facts.occurred_at) > (newest[key].version, newest[key].occurred_at):
            newest[key] = facts
    applied = store.apply_many_box_facts(list(newest.values())) if newest else {}
    for index, facts in found.items():
        outcome = applied[(facts.org_id, facts.box_id)]
        if isinstance(outcome, Exception):
            outcomes[index] = outcome
        else:
            outcomes[index] = "applied" if outcome is True and facts is newest[(facts.org_id, facts.box_id)] else "stale"
    return outcomes


def box_facts(envelope: dict[str, Any]) -> BoxFacts | None:
    """What one of stacks' box events says of its box, or None if it says nothing circulation keeps."""
    box_subjects = [s for s in envelope.get("subjects") or [] if s.get("kind") == "box"]
    payload = envelope.get("payload") or {}
    box = payload.get("box") or (payload if envelope.get("type") == "BoxRegistered" else None)
    if not box_subjects or not isinstance(box, dict) or "version" not in box:
        return None
    org_id = box_subjects[0].get("org_id")
    if not org_id or box.get("id") != box_subjects[0]["id"]:
        return None
    return BoxFacts(org_id=org_id, box_id=box["id"], status=box.get("status"), loan_id=box.get("loan_id"),
                    barcode=box.get("barcode"), title=box.get("title"),
                    home_location_id=box.get("home_location_id"), current_location=box.get("current_location"),
                    retention=box.get("retention"), version=int(box["version"]),
                    occurred_at=envelope.get("occurred_at") or "", event_id=envelope.get("id") or "")
