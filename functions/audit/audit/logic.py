"""Audit's use cases: append a domain event to every named entity's history; read and verify one."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.problems import NotFound, ValidationFailed

from .data import history
from .domain.chain import verify

READERS = ("auditor", "admin")
APPEND_ATTEMPTS = 5


def record(envelope: dict[str, Any]) -> int:
    """Append the event to each subject's chain; returns how many chains grew (0 on redelivery)."""
    subjects = envelope.get("subjects")
    if not envelope.get("id") or not isinstance(subjects, list) or not subjects:
        raise ValidationFailed("Not a domain-event envelope: it needs an id and subjects.")
    grown = 0
    for subject in subjects:
        for _ in range(APPEND_ATTEMPTS):
            try:
                history.append(subject["id"], subject["kind"], subject.get("org_id"), envelope)
                grown += 1
                break
            except history.AlreadyAppended:
                break
            except history.HeadMoved:
                continue  # another event for this entity landed first; read the new head
        else:
            raise RuntimeError(f"history of {subject['id']} kept moving; the message will be redelivered")
    return grown


def entity_history(caller: Caller, entity_id: str, limit: int, cursor: str | None, check: bool) -> dict[str, Any]:
    caller.require_role(*READERS)
    current = history.head(entity_id)
    if current is None or current["org_id"] != caller.org_id:
        raise NotFound("No history for that entity in your organisation.")
    items, next_cursor = history.entries(entity_id, limit, cursor)
    body: dict[str, Any] = {"entity": {"id": entity_id, "kind": current["kind"], "events": current["seq"],
                                       "head_hash": current["hash"]},
                            "items": items, "next_cursor": next_cursor}
    if check:
        body["verification"] = _verify_all(entity_id, current)
    return body


def _verify_all(entity_id: str, current: dict[str, Any]) -> dict[str, Any]:
    def all_entries():
        cursor = None
        while True:
            page, cursor = history.entries(entity_id, 100, cursor)
            yield from page
            if not cursor:
                return

    result = verify(all_entries())
    if result["valid"] and (result["checked"] != current["seq"] or result["head_hash"] != current["hash"]):
        result = {"valid": False, "broken_at": result["checked"] + 1, "checked": result["checked"]}
    return result
