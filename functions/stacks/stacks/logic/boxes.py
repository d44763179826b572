"""Boxes (보존상자): registration, description, status by hand, and their location history."""
from __future__ import annotations

from typing import Any, Callable

from shared.auth import Caller, require_found
from shared.concurrency import stale
from shared.events import DomainEvent, now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, InvalidCursor, NotFound, ValidationFailed

from ..data import boxes as store
from ..data import locations as location_store
from ..domain import status as transitions
from ..domain.capacity import BoxSize
from ..domain.model import Box, shelf_location
from ..domain.rules import manager_org, reader_org
from .common import box_subject, code_path, event, location_subject
from .files import check_files, file_summaries


def _container(org_id: str, profile_id: str):
    profile = location_store.get_profile(org_id, "container", profile_id)
    if profile is None:
        raise ValidationFailed(f"container_profile_id: no container profile {profile_id} in your organisation.",
                               errors=[{"field": "container_profile_id", "message": "not found"}])
    return profile


def register_box(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Box:
    org_id = manager_org(caller)
    box, registered = new_box(org_id, body, derived_id(f"box|{caller.user_id}", idempotency_key), caller.as_actor())
    store.create_box(box, registered)
    return box


def new_box(org_id: str, body: dict[str, Any], box_id: str, actor: dict[str, Any],
            container: Callable[[str, str], Any] | None = None, check_labels: bool = True
            ) -> tuple[Box, DomainEvent]:
    """The box a (schema-valid) registration body describes and its BoxRegistered event: the rules of one
    registration, and of each row of a bulk one (`container` may cache profiles). A label in use is refused
    by the write's claim conditions (same problem); `check_labels` also looks first, for a quicker answer."""
    profile = (container or _container)(org_id, body["container_profile_id"])
    files = check_files(org_id, body.get("files") or ())
    size = profile.size
    if body.get("weight_kg") is not None:
        size = BoxSize(size.width_mm, size.height_mm, size.depth_mm, body["weight_kg"], size.stacking_limit)
    stamp = now_iso()
    box = Box(org_id=org_id, id=box_id, barcode=body["barcode"],
              rfid=body["rfid"].upper() if body.get("rfid") else None, title=_text(body.get("title")),
              container_profile_id=profile.id, size=size, producing_unit=body["producing_unit"].strip(),
              record_form=body["record_form"], contents=tuple(body.get("contents") or ()), files=files,
              note=_text(body.get("note")), retention=body.get("retention"), created_at=stamp, updated_at=stamp)
    if check_labels:
        _refuse_taken_labels(org_id, box.barcode, box.rfid, box.id)
    return box, event("BoxRegistered", [box_subject(org_id, box.id)], box.public(), actor)


def _refuse_taken_labels(org_id: str, barcode: str | None, rfid: str | None, box_id: str) -> None:
    """Refuse a label in use at once (the claim items in the write stay the guarantee)."""
    if barcode:
        owner = location_store.barcode_owner(org_id, barcode)
        if owner is not None and owner != ("box", box_id):
            raise location_store.barcode_taken(barcode)
    if rfid:
        tag_owner = store.rfid_owner(org_id, rfid)
        if tag_owner is not None and tag_owner != box_id:
            raise store.rfid_taken(rfid)


def _text(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def get_box(caller: Caller, box_id: str) -> Box:
    return require_found(store.get_box(reader_org(caller), box_id), "box")


def box_view(box: Box) -> dict[str, Any]:
    """A box as one box's routes show it: with its record files' titles and status (stacks' read model)."""
    return {**box.public(), "record_files": file_summaries(box.org_id, box.files)}


def list_boxes(caller: Caller, limit: int, cursor: str | None, status: str | None, barcode: str | None,
               rfid: str | None):
    """All boxes (optionally by status), or the one box a scanned barcode or RFID tag names."""
    org_id = reader_org(caller)
    if barcode or rfid:
        if cursor:
            raise InvalidCursor("A barcode or RFID look-up has a single page.")
        owner = None
        if barcode:
            claim = location_store.barcode_owner(org_id, barcode)
            owner = claim[1] if claim and claim[0] == "box" else None
        if rfid:
            tag_owner = store.rfid_owner(org_id, rfid.upper())
            owner = tag_owner if not barcode or owner == tag_owner else None
        box = store.get_box(org_id, owner) if owner else None
        return ([box] if box and (status is None or box.status == status) else []), None
    return store.list_boxes(org_id, limit, cursor, status)


def boxes_on_shelf(caller: Caller, location_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    code = code_path(location_id)
    if code is None or code.kind != "shelf" or location_store.get_location(org_id, code) is None:
        raise NotFound("No shelf with that id in your organisation.")
    return store.boxes_at(org_id, str(code), limit, cursor)


def update_box(caller: Caller, box_id: str, changes: dict[str, Any], expected_version: int) -> Box:
    """Describe a box anew. A box on a shelf keeps its size and weight (they hold its space);
    changing its record form or producing unit moves it to another group in the shelf's holdings."""
    org_id = manager_org(caller)
    before = require_found(store.get_box(org_id, box_id), "box")
    try:
        transitions.check_editable(before.status)
        if before.leaving:
            raise transitions.TransitionRefused("A transfer holds the box; it is described as it was sent.")
    except transitions.TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    if before.version != expected_version:
        raise stale("box")
    fields: dict[str, Any] = {}
    for name in ("title", "note"):
        if name in changes:
            fields[name] = _text(changes[name])
    for name in ("barcode", "record_form", "retention"):
        if name in changes:
            fields[name] = changes[name]
    if "producing_unit" in changes:
        fields["producing_unit"] = changes["producing_unit"].strip()
    if "rfid" in changes:
        fields["rfid"] = changes["rfid"].upper() if changes["rfid"] else None
    if "contents" in changes:
        fields["contents"] = tuple(changes["contents"])
    if "files" in changes:
        fields["files"] = check_files(org_id, changes["files"])
    if "container_profile_id" in changes or "weight_kg" in changes:
        if before.home is not None:
            raise Conflict("A box's size and weight hold its space on the shelf; take it off the shelf first.")
        profile = _container(org_id, changes.get("container_profile_id", before.container_profile_id))
        weight = changes.get("weight_kg", before.size.weight_kg if "container_profile_id" not in changes
                             else profile.size.weight_kg)
        s = profile.size
        fields["container_profile_id"] = profile.id
        fields["size"] = BoxSize(s.width_mm, s.height_mm, s.depth_mm, weight, s.stacking_limit)
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    regroup = None
    if before.home is not None and after.arrangement_key != before.arrangement_key:
        # the same space, another group in the shelf's holdings (arrangement by form and unit)
        regroup = (before.home.shelf_id, before.arrangement_key, after.arrangement_key)
    public = {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items() if k != "size"}
    if "size" in fields:
        public["weight_kg"] = fields["size"].weight_kg
    _refuse_taken_labels(org_id, after.barcode if after.barcode != before.barcode else None,
                         after.rfid if after.rfid != before.rfid else None, after.id)
    store.save_box(after, before, event("BoxUpdated", [box_subject(org_id, after.id)],
                                        {"changes": public, "box": after.public(), "files": list(after.files)},
                                        caller.as_actor()),
                   regroup=regroup)
    return after


def change_status(caller: Caller, box_id: str, body: dict[str, Any], expected_version: int) -> Box:
    """Status changes made by hand: reported missing, found again, leaving for a transfer or not."""
    org_id = manager_org(caller)
    before = require_found(store.get_box(org_id, box_id), "box")
    target = body["status"]
    try:
        transitions.check_manual(before.status, target, before.home is not None, before.transfer is not None)
    except transitions.TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    if before.version != expected_version:
        raise stale("box")
    current = before.current
    if target == "missing":
        current = None
    elif target == "shelved" and before.home:
        current = shelf_location(before.home.shelf_id)
    stamp = now_iso()
    after = before.with_changes(status=target, current=current, version=before.version + 1, updated_at=stamp)
    subjects = [box_subject(org_id, after.id)] + ([location_subject(org_id, before.home.shelf_id)] if before.home else [])
    ev = event("BoxStatusChanged", subjects, {"from": before.status, "to": target, "reason": body.get("reason"),
                                              "box": after.public()}, caller.as_actor())
    store.save_box(after, before, ev)
    return after


def box_history(caller: Caller, box_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_box(org_id, box_id), "box")
    return store.box_history(org_id, box_id, limit, cursor)


def shelf_history(caller: Caller, location_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    code = code_path(location_id)
    if code is None or code.kind != "shelf" or location_store.get_location(org_id, code) is None:
        raise NotFound("No shelf with that id in your organisation.")
    return store.shelf_history(org_id, str(code), limit, cursor)
