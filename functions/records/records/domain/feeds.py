"""How other capabilities' events become records' read models (no AWS here).

classification (source `records.classification`):
- `UnitTaskPublished` → a unit task of version V with its disposal rule;
- `SchemeVersionPublished` → version V has n unit tasks. V is usable once records holds the marker
  and n unit tasks of V (events come in any order, some twice); the newest usable version is current.

stacks (source `records.stacks`): a box's events carry the box (payload.box, or the payload itself
for BoxRegistered); BoxRegistered and BoxUpdated also say which record files it holds (`files`), and so do
the disposition events (BoxContentsDestroyed, BoxDestroyed, BoxTransferred: the box after, files left in it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import ACCESS_CLASSES, ACTIONS, RETENTIONS, Box, Rule, UnitTask
from .retention import default_action

CLASSIFICATION = "records.classification"
STACKS = "records.stacks"
CLASSIFICATION_EVENTS = ("UnitTaskPublished", "SchemeVersionPublished")
BOX_EVENTS = ("BoxRegistered", "BoxUpdated", "BoxPlaced", "BoxMoved", "BoxFound", "BoxRemoved", "BoxStatusChanged",
              "BoxReserved", "BoxReservationReleased", "BoxCheckedOut", "BoxReturned", "BoxContentsDestroyed",
              "BoxDestroyed", "BoxTransferred")
# the events that say which files a box holds (the disposition events carry the box after: files left in it)
FILE_LISTS = ("BoxRegistered", "BoxUpdated", "BoxContentsDestroyed", "BoxDestroyed", "BoxTransferred")


@dataclass(frozen=True)
class VersionPublished:
    org_id: str
    scheme_version: int
    unit_task_count: int
    published_at: str | None


def _org(envelope: dict[str, Any], *kinds: str) -> str | None:
    subjects = envelope.get("subjects") or []
    for subject in subjects:
        if subject.get("kind") in kinds and subject.get("org_id"):
            return subject["org_id"]
    return next((s.get("org_id") for s in subjects if s.get("org_id")), None)


def unit_task(envelope: dict[str, Any]) -> UnitTask | None:
    """The unit task a `UnitTaskPublished` event publishes, or None when it is not one we can use."""
    if envelope.get("source") != CLASSIFICATION or envelope.get("type") != "UnitTaskPublished":
        return None
    p = envelope.get("payload") or {}
    org_id, rule = _org(envelope, "unit_task"), p.get("rule") or {}
    version, code = p.get("scheme_version"), p.get("code")
    if not org_id or not isinstance(version, int) or not isinstance(code, str) or not code:
        return None
    retention = rule.get("retention")
    if retention not in RETENTIONS:
        return None
    access = rule.get("access") or {}
    classification = access.get("classification") if access.get("classification") in ACCESS_CLASSES else "open"
    grounds = tuple(sorted({g for g in access.get("grounds") or [] if isinstance(g, int) and 1 <= g <= 8}))
    action = rule.get("action") if rule.get("action") in ACTIONS else default_action(retention)
    return UnitTask(org_id=org_id, scheme_version=version, code=code, title=str(p.get("title") or code),
                    rule=Rule(retention=retention, action=action, trigger=rule.get("trigger") or "year_after_closing",
                              access=classification, grounds=grounds if classification != "open" else (),
                              notes=rule.get("notes")),
                    path=tuple(x for x in p.get("path") or [] if isinstance(x, dict)),
                    valid_from=p.get("valid_from"), valid_to=p.get("valid_to"))


def version_published(envelope: dict[str, Any]) -> VersionPublished | None:
    if envelope.get("source") != CLASSIFICATION or envelope.get("type") != "SchemeVersionPublished":
        return None
    p = envelope.get("payload") or {}
    org_id = _org(envelope, "classification_scheme")
    if not org_id or not isinstance(p.get("scheme_version"), int) or not isinstance(p.get("unit_task_count"), int):
        return None
    return VersionPublished(org_id, p["scheme_version"], p["unit_task_count"], p.get("published_at"))


def box(envelope: dict[str, Any]) -> tuple[Box, bool] | None:
    """(the box an event of stacks describes, whether the event says which files it holds), or None."""
    if envelope.get("source") != STACKS or envelope.get("type") not in BOX_EVENTS:
        return None
    payload = envelope.get("payload") or {}
    data = payload.get("box") if isinstance(payload.get("box"), dict) else payload
    org_id = _org(envelope, "box")
    if not org_id or not data.get("id") or not data.get("barcode") or not isinstance(data.get("version"), int):
        return None
    files = payload.get("files", data.get("files"))
    lists_files = envelope["type"] in FILE_LISTS and isinstance(files, list)
    where = data.get("current_location") if isinstance(data.get("current_location"), dict) else None
    location_id = (where or {}).get("id") or data.get("home_location_id")
    kind = (where or {}).get("kind") or ("shelf" if data.get("home_location_id") else None)
    return (Box(org_id=org_id, box_id=data["id"], barcode=data["barcode"], status=data.get("status") or "unplaced",
                location_id=location_id, location_kind=kind, version=data["version"],
                files=tuple(dict.fromkeys(f for f in files if isinstance(f, str))) if lists_files else (),
                files_version=data["version"] if lists_files else 0),
            lists_files)
