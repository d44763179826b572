"""Disposal's read model of records' file events (which files exist, their unit, class and due date)."""
from __future__ import annotations

from typing import Any

from ..data import files as files_store
from ..domain import feeds


def record_event(envelope: dict[str, Any]) -> bool:
    """Apply one of records' events to the read model, once per event id; True if it changed what disposal knows."""
    about = feeds.file_of(envelope)
    if about is None or not envelope.get("id"):
        return False
    org_id, file_id = about
    return files_store.apply_event(org_id, file_id, envelope["id"], envelope["type"],
                                   lambda view: feeds.apply(view, envelope))
