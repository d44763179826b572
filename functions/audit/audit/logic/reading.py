"""Reading: one entity's history, page by page, and the verification of its chain."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.problems import NotFound

from ..data import history as store
from ..domain.chain import verify

READERS = ("auditor", "admin")


def entity_history(caller: Caller, entity_id: str, limit: int, cursor: str | None, check: bool) -> dict[str, Any]:
    caller.require_role(*READERS)
    current = store.head(caller.org_id, entity_id)
    if current is None:
        raise NotFound("No history for that entity in your organisation.")
    items, next_cursor = store.entries(caller.org_id, entity_id, limit, cursor)
    items = [i for i in items if i["seq"] <= current["seq"]]  # entries appended after the head we read
    body: dict[str, Any] = {"entity": {"id": entity_id, "kind": current["kind"], "events": current["seq"],
                                       "head_hash": current["hash"]},
                            "items": items, "next_cursor": next_cursor}
    if check:
        body["verification"] = _verify_up_to(caller.org_id, entity_id, current)
    return body


def _verify_up_to(org_id: str | None, entity_id: str, current: dict[str, Any]) -> dict[str, Any]:
    """Recompute the chain up to the head read at the start: later appends are not in question."""
    def entries_to_head():
        cursor = None
        while True:
            page, cursor = store.entries(org_id, entity_id, 100, cursor)
            for entry in page:
                if entry["seq"] > current["seq"]:
                    return
                yield entry
            if not cursor:
                return

    result = verify(entries_to_head())
    if result["valid"] and (result["checked"] != current["seq"] or result["head_hash"] != current["hash"]):
        result = {"valid": False, "broken_at": result["checked"] + 1, "checked": result["checked"]}
    return result
