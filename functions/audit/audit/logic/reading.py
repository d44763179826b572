"""Reading: one entity's history, page by page, and the verification of its chain."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.problems import NotFound, Problem

from ..data import history as store
from ..domain.checkpoint import Head
from . import checkpoints

READERS = ("auditor", "admin")


class HistoryDeleted(Problem):
    """The entity has no history any more, but a signed checkpoint knows it had one: 410, never a plain 404."""
    slug = "history-deleted"
    title = "History deleted"
    status = 410


def entity_history(caller: Caller, entity_id: str, limit: int, cursor: str | None, check: bool) -> dict[str, Any]:
    caller.require_role(*READERS)
    current = store.head(caller.org_id, entity_id)
    if current is None:
        # Only a verification consults the signed checkpoints (S3): a plain read answers from the
        # table and keeps the function's cold start close to the bare runtime.
        checkpoint, anchor = checkpoints.checkpointed(caller.org_id, entity_id) if check else (None, None)
        if anchor is not None:
            raise HistoryDeleted(
                f"The history of this entity was deleted: checkpoint {checkpoint['sequence']} recorded "
                f"{anchor.seq} events.", verification={"valid": False, "kind": "deleted", "checked": 0,
                                                       "broken_at": 1, "checkpoint": checkpoint | {
                                                           "events": anchor.seq, "head_hash": anchor.hash}})
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
    """Recompute the chain up to the head read at the start (later appends are not in question) and compare
    it with its head in the latest signed checkpoint."""
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

    return checkpoints.verify_chain(org_id, entity_id, Head(current["seq"], current["hash"]), entries_to_head())
