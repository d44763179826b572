"""How other capabilities' events become transfer's read models (no AWS here).

records (`records.records`), events naming a file (subject `record_file`):
- `FileCreated` → title, unit, class, status `open`; the access classification was decided at filing
  (its day counts as a review; `access` when the payload has it);
- `FileClosed` → closed on, production year, retention, status `closed`; `FileStatusChanged` → status;
  `FileUpdated` → title or unit; `RetentionOverridden`, `RetentionRuleReapplied` → retention;
- `AccessChanged` (a reclassification) and `AccessReviewCompleted` (kept after a re-review) → the day of
  the last access review (and the classification, when given);
- `FileCustodyChanged` → custody (its `holder`: `records_centre` after a transfer to it, back to the producing
  unit when that transfer is undone); `FileReceived` → the file now
  here (received from another organisation: closed, in this organisation's custody).
disposal (`records.disposal`): `HoldPlaced` (scope), `HoldLifted`.
identity (`records.identity`): `OrganisationCreated`, `OrganisationUpdated` (name, type, status).
Events arrive in any order and some twice: each attribute keeps the newest word (by `occurred_at`);
duplicates are stopped by a receipt of the event id (data layer).
"""
from __future__ import annotations

from typing import Any

from .model import FileView, HoldView, Organisation

RECORDS, DISPOSAL, IDENTITY = "records.records", "records.disposal", "records.identity"
FILE_EVENTS = ("FileCreated", "FileClosed", "FileStatusChanged", "FileUpdated", "RetentionOverridden",
               "RetentionRuleReapplied", "AccessChanged", "AccessReviewCompleted", "FileCustodyChanged",
               "FileReceived")
HOLD_EVENTS = ("HoldPlaced", "HoldLifted")
ORGANISATION_EVENTS = ("OrganisationCreated", "OrganisationUpdated")


def kind_of(envelope: dict[str, Any]) -> str | None:
    """"file", "hold" or "organisation": which read model an event feeds, or None."""
    source, type_ = envelope.get("source"), envelope.get("type")
    if source == RECORDS and type_ in FILE_EVENTS:
        return "file"
    if source == DISPOSAL and type_ in HOLD_EVENTS:
        return "hold"
    if source == IDENTITY and type_ in ORGANISATION_EVENTS:
        return "organisation"
    return None


def subject(envelope: dict[str, Any], kind: str) -> tuple[str, str] | None:
    """(org_id, id) of the first subject of `kind`."""
    for s in envelope.get("subjects") or []:
        if s.get("kind") == kind and s.get("id") and s.get("org_id"):
            return s["org_id"], s["id"]
    return None


def _day(at: str) -> str | None:
    return at[:10] if at else None


def custody_of(custody: Any) -> str | None:
    """Who keeps the file, as the read model says it: records publishes `{"holder": ..., "transfer_id", ...}`
    (`producing_unit`, `records_centre`); None is the producing unit's."""
    holder = custody.get("holder") if isinstance(custody, dict) else custody
    return None if holder in (None, "", "producing_unit") else str(holder)


def apply_file(view: FileView, envelope: dict[str, Any]) -> FileView:
    type_, p, at = envelope["type"], envelope.get("payload") or {}, str(envelope.get("occurred_at") or "")
    changes: dict[str, Any] = {}
    newer_status = at >= view.status_at
    if type_ == "FileCreated":
        changes |= {k: p[k] for k in ("title", "producing_unit", "class_code") if p.get(k)}
        if view.status is None:
            changes |= {"status": "open", "status_at": at}
        if at >= view.access_at:
            access = (p.get("access") or {}).get("classification") if isinstance(p.get("access"), dict) else None
            changes |= {"access_reviewed_on": _day(at), "access_at": at, **({"access": access} if access else {})}
    elif type_ == "FileUpdated":
        changed = p.get("changes") or {}
        changes |= {k: changed[k] for k in ("title", "producing_unit") if isinstance(changed.get(k), str)}
    elif type_ == "FileStatusChanged" and p.get("status") and newer_status:
        changes |= {"status": p["status"], "status_at": at}
    elif type_ == "FileClosed":
        if newer_status:
            changes |= {"status": "closed", "status_at": at}
        if at >= view.retention_at:
            changes |= {"closed_on": p.get("closed_on"), "production_year": p.get("production_year"),
                        "retention": p.get("retention"), "action": p.get("action"), "retention_at": at}
    elif type_ in ("RetentionOverridden", "RetentionRuleReapplied") and at >= view.retention_at:
        changes |= {"retention": p.get("retention"), "action": p.get("action"), "retention_at": at}
    elif type_ in ("AccessChanged", "AccessReviewCompleted") and at >= view.access_at:
        access = p.get("access") if isinstance(p.get("access"), dict) else {}
        changes |= {"access_reviewed_on": _day(at), "access_at": at,
                    **({"access": access["classification"]} if access.get("classification") else {})}
    elif type_ == "FileCustodyChanged" and p.get("custody"):
        changes |= {"custody": custody_of(p["custody"])}
    elif type_ == "FileReceived":
        # A file that came here from another organisation: closed, in this organisation's custody.
        changes |= {k: p[k] for k in ("title", "producing_unit", "class_code", "retention", "closed_on",
                                      "production_year") if p.get(k)}
        changes |= {"custody": "records_centre"}
        if newer_status:
            changes |= {"status": p.get("status") or "closed", "status_at": at}
    return view.with_changes(**changes) if changes else view


def apply_hold(view: HoldView, envelope: dict[str, Any]) -> HoldView:
    p = envelope.get("payload") or {}
    if envelope["type"] == "HoldPlaced":
        scope = p.get("scope") or {}
        return view.with_changes(files=tuple(scope.get("files") or ()),
                                 class_codes=tuple(scope.get("class_codes") or ()),
                                 producing_units=tuple(scope.get("producing_units") or ()),
                                 active=view.active and p.get("status", "active") == "active")
    return view.with_changes(active=False)  # lifted, for good: a late HoldPlaced does not revive it


def apply_organisation(view: Organisation, envelope: dict[str, Any]) -> Organisation:
    p = envelope.get("payload") or {}
    org = p.get("organisation") if envelope["type"] == "OrganisationUpdated" else p
    org = org or {}
    return view.with_changes(**{k: org[k] for k in ("name", "type", "status") if org.get(k)})
