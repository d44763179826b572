"""Digital components of an item: upload (presigned PUT or multipart), complete (the bytes are re-read
and checked against the declared size and SHA-256 before anything is captured), describe, download.

Captured content is immutable: no use case here writes an object over a captured one or changes
size, checksum, object or media type; label and description are versioned metadata (If-Match),
each change an event. Another organisation's files, items, uploads and components answer 404.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import Subject, now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, Forbidden, Problem, ValidationFailed

from ..data import components as store
from ..data import files as files_store
from ..domain import access as access_rules
from ..domain import components as rules
from ..domain import destruction as destruction_rules
from ..domain import lifecycle
from ..domain.components import Component, ComponentUpload
from ..domain.model import Item, RecordFile
from .common import event

DEFAULT_LOCK_DAYS = 36500


class ContentMismatch(Problem):
    """The uploaded object is not what was declared: nothing was captured and the object is gone."""

    slug = "content-mismatch"
    title = "Content does not match its declaration"
    status = 422


def lock_days() -> int:
    return int(os.environ.get("RECORDS_LOCK_DAYS") or DEFAULT_LOCK_DAYS)


def _file_and_item(org_id: str, file_id: str, item_id: str, *, capture: bool = False) -> tuple[RecordFile, Item]:
    """The file and item of the caller's organisation (404 otherwise); capture needs a file still in the
    organisation's keeping (not transferred or destroyed)."""
    file = require_found(files_store.get_file(org_id, file_id), "file")
    item = require_found(files_store.get_item(org_id, file_id, item_id), "item")
    if capture:
        destruction_rules.refuse_while_marked(file, "a new component")
    if capture and not lifecycle.editable(file.status):
        raise Conflict(f"The file is {file.status}: it takes no new components.")
    return file, item


def subjects(org_id: str, file_id: str, item_id: str, component_id: str | None = None) -> list[Subject]:
    named = [Subject("record_file", file_id, org_id), Subject("record_item", item_id, org_id)]
    return named + ([Subject("component", component_id, org_id)] if component_id else [])


def _instructions(upload: ComponentUpload) -> dict[str, Any]:
    """How to send the bytes: one presigned PUT with its required headers, or one URL per part."""
    if not upload.multipart:
        url, headers = store.put_url(upload.object_key, upload.size, upload.media_type,
                                     rules.sha256_base64(upload.sha256))
        return {"method": "PUT", "url": url, "headers": headers}
    plan = rules.PartPlan(upload.part_size or 0, -(-upload.size // (upload.part_size or 1)))
    return {"method": "multipart", "part_size": plan.part_size,
            "parts": [{"part_number": n, "size": size, "method": "PUT",
                       "url": store.part_url(upload.object_key, upload.multipart_id or "", n, size)}
                      for n, size in enumerate(plan.sizes(upload.size), start=1)]}


# --------------------------------------------------------------------- upload
def request_upload(caller: Caller, file_id: str, item_id: str, body: dict[str, Any],
                   idempotency_key: str | None) -> dict[str, Any]:
    org_id = access_rules.registrar_org(caller)
    _file_and_item(org_id, file_id, item_id, capture=True)
    try:
        sha256 = rules.sha256_hex(body["sha256"])
    except rules.BadChecksum as exc:
        raise ValidationFailed(f"sha256: {exc}.", errors=[{"field": "sha256", "message": str(exc)}]) from None
    size = body["size"]
    upload_id = derived_id(f"component-upload|{org_id}|{item_id}|{caller.user_id}", idempotency_key)
    key = rules.object_key(org_id, file_id, item_id, upload_id)
    plan = rules.part_plan(size)
    stamp = now_iso()
    expires = (datetime.now(timezone.utc) + timedelta(seconds=rules.UPLOAD_TTL_SECONDS)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    upload = ComponentUpload(org_id=org_id, file_id=file_id, item_id=item_id, id=upload_id,
                             filename=body["filename"], media_type=body["media_type"], size=size, sha256=sha256,
                             object_key=key, multipart_id=store.start_multipart(key, body["media_type"]) if plan else None,
                             part_size=plan.part_size if plan else None, expires_at=expires, created_by=caller.user_id,
                             created_at=stamp, updated_at=stamp)
    store.create_upload(upload)
    return {**upload.public(), "upload": _instructions(upload)}


def get_upload(caller: Caller, file_id: str, item_id: str, upload_id: str) -> ComponentUpload:
    return _upload(access_rules.registrar_org(caller), file_id, item_id, upload_id)


def _upload(org_id: str, file_id: str, item_id: str, upload_id: str) -> ComponentUpload:
    return require_found(store.get_upload(org_id, file_id, item_id, upload_id), "upload")


def _mismatch_problem(upload: ComponentUpload) -> ContentMismatch:
    found = {m["field"]: m for m in upload.mismatches}
    named = " and ".join(f"{f} (declared {m['declared']}, uploaded {m['found']})" for f, m in found.items())
    return ContentMismatch(f"The uploaded object does not match its declaration: {named}. Nothing was captured "
                           "and the object was deleted; request a new upload.",
                           errors=[{"field": f, "message": f"declared {m['declared']}, uploaded object has {m['found']}"}
                                   for f, m in found.items()], upload_id=upload.id)


def complete_upload(caller: Caller, file_id: str, item_id: str, upload_id: str, body: dict[str, Any]) -> Component:
    """Re-read the object (streaming), compare size and SHA-256 with the declaration: a match is locked
    and captured (ComponentCaptured); a mismatch deletes every version at the key and answers 422."""
    org_id = access_rules.registrar_org(caller)
    _file_and_item(org_id, file_id, item_id, capture=True)
    upload = _upload(org_id, file_id, item_id, upload_id)
    if upload.status == "captured":  # completed before (a retry): the same component
        return require_found(store.get_component(org_id, file_id, item_id, upload.component_id or "", consistent=True),
                             "component")
    if upload.status == "rejected":
        raise _mismatch_problem(upload)
    if upload.multipart:
        parts = body.get("parts")
        if not parts:
            raise ValidationFailed("parts: a multipart upload completes with the part numbers and ETags S3 returned.",
                                   errors=[{"field": "parts", "message": "required for a multipart upload"}])
        try:
            store.finish_multipart(upload.object_key, upload.multipart_id or "",
                                   sorted(parts, key=lambda p: p["part_number"]))
        except store.PartsRefused as exc:
            raise ValidationFailed(f"parts: S3 refused the parts list: {exc}",
                                   errors=[{"field": "parts", "message": str(exc)}]) from None
    found = store.read_object(upload.object_key)
    if found is None:
        raise Conflict("Nothing has been uploaded for this upload yet: PUT the bytes to its URL, then complete it.")
    version, size, sha256 = found
    mismatches = rules.compare(upload.size, upload.sha256, size, sha256)
    stamp = now_iso()
    if mismatches:
        store.delete_versions(upload.object_key)  # never locked, so deletable: the refused bytes do not stay
        rejected = upload.with_changes(status="rejected", mismatches=tuple(m.public() for m in mismatches),
                                       version=upload.version + 1, updated_at=stamp)
        store.reject_upload(rejected, upload)
        raise _mismatch_problem(rejected)
    store.lock(upload.object_key, version, lock_days())
    store.delete_versions(upload.object_key, keep=version)
    component = Component(org_id=org_id, file_id=file_id, item_id=item_id, id=upload.id, filename=upload.filename,
                          media_type=upload.media_type, size=size, sha256=sha256, object_key=upload.object_key,
                          object_version=version, label=body.get("label"), description=body.get("description"),
                          captured_by=caller.user_id, captured_at=stamp, updated_at=stamp)
    captured = upload.with_changes(status="captured", component_id=component.id, version=upload.version + 1,
                                   updated_at=stamp)
    try:
        store.capture(component, upload, captured, rules_event(
            "ComponentCaptured", org_id, file_id, item_id, component.id,
            {"file_id": file_id, "item_id": item_id, "component": component.public()}, caller.as_actor()))
    except Conflict:  # a concurrent complete captured it first
        latest = _upload(org_id, file_id, item_id, upload_id)
        if latest.status != "captured":
            raise
        return require_found(store.get_component(org_id, file_id, item_id, latest.component_id or "", consistent=True),
                             "component")
    return component


def rules_event(type_: str, org_id: str, file_id: str, item_id: str, component_id: str | None,
                payload: dict[str, Any], actor: dict[str, Any]):
    """A component event: its subjects name the file, the item and the component."""
    return event(type_, subjects(org_id, file_id, item_id, component_id), payload, actor)


# ------------------------------------------------------------------- read, describe
def _component(org_id: str, file_id: str, item_id: str, component_id: str) -> Component:
    return require_found(store.get_component(org_id, file_id, item_id, component_id), "component")


def list_components(caller: Caller, file_id: str, item_id: str, limit: int, cursor: str | None):
    org_id = access_rules.reader_org(caller)
    file, item = _file_and_item(org_id, file_id, item_id)
    found, next_cursor = store.list_components(org_id, file_id, item_id, limit, cursor)
    return [render(caller, c, file, item) for c in found], next_cursor


def get_component(caller: Caller, file_id: str, item_id: str, component_id: str) -> tuple[dict[str, Any], int]:
    org_id = access_rules.reader_org(caller)
    file, item = _file_and_item(org_id, file_id, item_id)
    component = _component(org_id, file_id, item_id, component_id)
    return render(caller, component, file, item), component.version


def render_component(caller: Caller, component: Component) -> dict[str, Any]:
    """A component just captured or described (by a registrar, who sees everything)."""
    return {**component.public(), "downloadable": True}


def render(caller: Caller, component: Component, file: RecordFile, item: Item) -> dict[str, Any]:
    """What the caller may see: a component whose bytes it may not have shows no name, label or description
    (they could disclose the closed content)."""
    shown = component.public()
    allowed = access_rules.can_download(caller.roles, file, item)
    if not allowed:
        shown.update({"filename": None, "label": None, "description": None, "redacted": True})
    return {**shown, "downloadable": allowed and not component.destroyed}  # destroyed: no content to have


def describe_component(caller: Caller, file_id: str, item_id: str, component_id: str, changes: dict[str, Any],
                       expected_version: int) -> Component:
    org_id = access_rules.registrar_org(caller)
    file, _ = _file_and_item(org_id, file_id, item_id)
    destruction_rules.refuse_while_marked(file, "a change of a component's description")
    if not lifecycle.editable(file.status):
        raise Conflict(f"The file is {file.status}: its components' descriptions cannot change.")
    before = _component(org_id, file_id, item_id, component_id)
    require_version(before, expected_version, "component")
    if before.destroyed:
        raise Conflict("A destroyed component's description is part of its residual record and stays as it is.")
    fields = {name: changes[name] for name in rules.EDITABLE if name in changes}
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.save_description(after, before, rules_event(
        "ComponentDescribed", org_id, file_id, item_id, component_id,
        {"file_id": file_id, "item_id": item_id, "component_id": component_id, "changes": fields,
         "version": after.version}, caller.as_actor()))
    return after


def download_component(caller: Caller, file_id: str, item_id: str, component_id: str) -> dict[str, Any]:
    """A presigned GET of the captured version, for whoever the file's and item's access allows."""
    org_id = access_rules.reader_org(caller)
    file, item = _file_and_item(org_id, file_id, item_id)
    component = _component(org_id, file_id, item_id, component_id)
    destruction_rules.refuse_destroyed_content(component, file)
    if not access_rules.can_download(caller.roles, file, item):
        raise Forbidden("This component's file or item is not open: only archivists, auditors and admins may "
                        "download it.")
    expires = (datetime.now(timezone.utc) + timedelta(seconds=store.DOWNLOAD_TTL_SECONDS)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    return {"url": store.get_url(component.object_key, component.object_version, component.filename,
                                 component.media_type),
            "method": "GET", "expires_at": expires, "filename": component.filename,
            "media_type": component.media_type, "size": component.size, "sha256": component.sha256}
