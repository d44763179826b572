"""How records' events become disposal's read model of files (no AWS here).

records (source `records.records`), every event naming the file (subject `record_file`):
- `FileCreated` → title, producing unit, class code, status `open`;
- `FileClosed` → closed on, retention, disposal due date, action, status `closed`;
- `FileStatusChanged` → status; `FileUpdated` → a new title or producing unit;
- `RetentionOverridden`, `RetentionRuleReapplied` → retention, action and due date (and a committee's
  re-set retention is then applied).
Events arrive in any order and some twice: the status and the due date keep the newest word (by
`occurred_at`); duplicates are stopped by a receipt of the event id (data layer).
"""
from __future__ import annotations

from typing import Any

from .model import FileView

RECORDS = "records.records"
FILE_EVENTS = ("FileCreated", "FileClosed", "FileStatusChanged", "FileUpdated", "RetentionOverridden",
               "RetentionRuleReapplied")
RETENTION_EVENTS = ("RetentionOverridden", "RetentionRuleReapplied")


def file_of(envelope: dict[str, Any]) -> tuple[str, str] | None:
    """(org_id, file_id) a records file event is about, or None when it is not one we use."""
    if envelope.get("source") != RECORDS or envelope.get("type") not in FILE_EVENTS:
        return None
    payload = envelope.get("payload") or {}
    for subject in envelope.get("subjects") or []:
        if subject.get("kind") == "record_file" and subject.get("org_id") and subject.get("id"):
            if payload.get("file_id") in (None, subject["id"]):
                return subject["org_id"], subject["id"]
    return None


def apply(view: FileView, envelope: dict[str, Any]) -> FileView:
    """The file after one of records' events."""
    type_, p, at = envelope["type"], envelope.get("payload") or {}, str(envelope.get("occurred_at") or "")
    changes: dict[str, Any] = {}
    if type_ == "FileCreated":
        changes |= {k: p[k] for k in ("title", "producing_unit", "class_code") if p.get(k)}
        if view.status is None:  # any later word on the status (closed first, say) wins over "created"
            changes |= {"status": "open", "status_at": at}
    elif type_ == "FileUpdated":
        changed = p.get("changes") or {}
        changes |= {k: changed[k] for k in ("title", "producing_unit") if isinstance(changed.get(k), str)}
    elif type_ == "FileStatusChanged":
        if p.get("status") and at >= view.status_at:
            changes |= {"status": p["status"], "status_at": at}
    elif type_ == "FileClosed":
        if at >= view.status_at:
            changes |= {"status": "closed", "status_at": at}
        if at >= view.due_at:
            changes |= {"closed_on": p.get("closed_on"), "retention": p.get("retention"), "action": p.get("action"),
                        "disposal_due": p.get("disposal_due"), "due_at": at}
    elif type_ in RETENTION_EVENTS and at >= view.due_at:
        changes |= {"retention": p.get("retention"), "action": p.get("action"), "disposal_due": p.get("disposal_due"),
                    "due_at": at, "awaiting_reset": None}
    return view.with_changes(**changes) if changes else view
