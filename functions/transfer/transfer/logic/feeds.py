"""Transfer's read models of records' files, disposal's holds and identity's organisations."""
from __future__ import annotations

from typing import Any

from ..data import views as store
from ..domain import feeds

_APPLY = {"file": feeds.apply_file, "hold": feeds.apply_hold, "organisation": feeds.apply_organisation}
_SUBJECT = {"file": "record_file", "hold": "disposal_hold", "organisation": "organisation"}


def record_event(envelope: dict[str, Any]) -> bool:
    """Apply one event to its read model, once per event id; True if it changed what transfer knows."""
    kind = feeds.kind_of(envelope)
    about = feeds.subject(envelope, _SUBJECT[kind]) if kind else None
    if about is None or not envelope.get("id"):
        return False
    org_id, entity_id = about
    return store.apply_event(kind, org_id, entity_id, envelope["id"], envelope["type"],
                             lambda view: _APPLY[kind](view, envelope))
