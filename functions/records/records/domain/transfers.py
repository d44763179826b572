"""Records' part in a transfer (이관, issue 11), as rules: which files a transfer may mark, the package's
layout under the bag's `data/`, the JSON documents a file and its items travel as, and the file, items and
components a receiver makes of them. No AWS here.

A transfer marks its files `being_transferred` (lifecycle): reversible, the file keeps `prior_status` and
names the transfer (`transfer_id`, kept afterwards as the last transfer that marked it, so an undo or a
release retried answers the same). The package holds, per file:

    data/files/<file_id>/file.json
    data/files/<file_id>/items/<item_id>/item.json            (the item and its components' metadata)
    data/files/<file_id>/items/<item_id>/components/<component_id>/<name>

`to_archive` (another organisation): the receiver makes the same file (same ids) from those documents,
closed, with `custody` {"holder": "received", "from_org", "transfer_id", "since"}; the sender's file becomes
`transferred` with `transferred_to` {org, transfer_id, at} (the residual transfer record) once the receiver
accepted. `to_records_centre` (the same organisation): nothing is copied; the file's `custody` becomes
{"holder": "records_centre", ...} and, once accepted, it returns to its prior status (it stays in its
organisation's keeping: only the custodian changed).
"""
from __future__ import annotations

import unicodedata
from typing import Any

from . import lifecycle
from .components import Component
from .model import Access, Item, RecordFile, Rule

PAGE = 25  # file ids per step (contracts: state machines iterate pages)
MARKABLE = ("closed", "under_review")

# Refusal reasons (contract B1, as A1's): one file of a page refused, the rest go on.
UNKNOWN = "unknown-file"
NOT_CLOSED = "not-closed"
FINAL = "final"
IN_OTHER_RUN = "in-other-run"  # being destroyed, or being transferred by another transfer
HELD = "held"
NOT_MARKED = "not-marked"  # packaging, receiving or releasing a file this transfer did not mark
CORRUPT = "component-corrupt"
NOT_IN_PACKAGE = "not-in-package"
UNREADABLE = "package-unreadable"
TAKEN = "already-exists"  # the receiver already has a file of that id (not from this transfer)
REFERENCE_TAKEN = "reference-taken"
NUMBER_TAKEN = "registration-number-taken"
NOT_RECEIVED = "not-received"

RECORDS_CENTRE = "records_centre"
RECEIVED = "received"


# ------------------------------------------------------------------ marking
def mark_refusal(file: RecordFile | None, transfer_id: str) -> str | None:
    """Why this transfer cannot mark the file (None: it may, or it already did)."""
    if file is None:
        return UNKNOWN
    if marked_by(file, transfer_id):
        return None
    if file.status == "open":
        return NOT_CLOSED
    if file.status in lifecycle.FINAL:
        return FINAL
    if file.status == "held":
        return HELD
    if file.status not in MARKABLE:  # being_… : another run or transfer holds it
        return IN_OTHER_RUN
    return None


def marked_by(file: RecordFile, transfer_id: str) -> bool:
    return file.status == lifecycle.BEING_TRANSFERRED and file.transfer_id == transfer_id


def marked(file: RecordFile, transfer_id: str, at: str) -> RecordFile:
    lifecycle.check_move(file.status, lifecycle.BEING_TRANSFERRED)
    return file.with_changes(status=lifecycle.BEING_TRANSFERRED, prior_status=file.status, transfer_id=transfer_id,
                             version=file.version + 1, updated_at=at)


def was_unmarked(file: RecordFile, transfer_id: str) -> bool:
    """This transfer marked the file once and let it go (what an undo retried answers again)."""
    return file.transfer_id == transfer_id and file.status in MARKABLE and file.transferred_to is None


def unmarked(file: RecordFile, at: str) -> RecordFile:
    back = file.prior_status or "closed"
    lifecycle.check_move(file.status, back)
    return file.with_changes(status=back, prior_status=None, version=file.version + 1, updated_at=at)


# ------------------------------------------------------------------ release
def released(file: RecordFile, receiver_org: str, at: str) -> RecordFile:
    """The sender's file once the receiver accepted it: another organisation's now (transferred, the
    residual record), or, within the organisation, back to its prior status in the records centre's custody."""
    if receiver_org == file.org_id:
        return unmarked(file, at)
    lifecycle.check_move(file.status, "transferred")
    return file.with_changes(status="transferred", prior_status=None, version=file.version + 1, updated_at=at,
                             transferred_to={"org": receiver_org, "transfer_id": file.transfer_id, "at": at})


def was_released(file: RecordFile, transfer_id: str, receiver_org: str) -> bool:
    if file.transfer_id != transfer_id:
        return False
    if receiver_org == file.org_id:
        return file.status in MARKABLE and holder(file) == RECORDS_CENTRE and \
            (file.custody or {}).get("transfer_id") == transfer_id
    return file.status == "transferred"


# ------------------------------------------------------------------ custody
def holder(file: RecordFile) -> str:
    return (file.custody or {}).get("holder", "producing_unit")


def received_by(file: RecordFile, transfer_id: str) -> bool:
    return (file.custody or {}).get("transfer_id") == transfer_id and holder(file) in (RECEIVED, RECORDS_CENTRE)


def in_records_centre(file: RecordFile, transfer_id: str, at: str) -> RecordFile:
    """Within one organisation: the records centre keeps the file from now (the previous custody kept to undo)."""
    return file.with_changes(custody={"holder": RECORDS_CENTRE, "transfer_id": transfer_id, "since": at,
                                      "previous": file.custody}, version=file.version + 1, updated_at=at)


def custody_undone(file: RecordFile, at: str) -> RecordFile:
    return file.with_changes(custody=(file.custody or {}).get("previous"), version=file.version + 1, updated_at=at)


# ------------------------------------------------------------------ the package
def bag_name(filename: str) -> str:
    """A component's file name as a path segment of the bag: no separators or control characters, never
    `.`/`..`, at most 200 characters (the component id's folder keeps two equal names apart)."""
    cleaned = "".join("_" if ch in "/\\" or unicodedata.category(ch).startswith("C") else ch
                      for ch in unicodedata.normalize("NFC", filename)).strip()
    if cleaned in ("", ".", ".."):
        return "component"
    return cleaned[:200]


def file_path(file_id: str) -> str:
    return f"data/files/{file_id}/file.json"


def items_prefix(file_id: str) -> str:
    return f"data/files/{file_id}/items/"


def item_path(file_id: str, item_id: str) -> str:
    return f"{items_prefix(file_id)}{item_id}/item.json"


def component_path(file_id: str, item_id: str, component_id: str, filename: str) -> str:
    return f"{items_prefix(file_id)}{item_id}/components/{component_id}/{bag_name(filename)}"


def key_in(prefix: str, path: str) -> str:
    """The object key of a bag path under the package's prefix."""
    return f"{prefix.strip('/')}/{path}" if prefix.strip("/") else path


SKIPPED_FILE_FIELDS = ("prior_status", "transferred_to", "review_task_id")


def file_document(file: RecordFile) -> dict[str, Any]:
    """file.json: the file's metadata (classification, rule, retention, access...) as its sender keeps it,
    with the status it had before the transfer marked it."""
    doc = {k: v for k, v in file.public().items() if k not in SKIPPED_FILE_FIELDS}
    return {"format": "records.file/1", **doc, "organisation": file.org_id,
            "status": file.prior_status or file.status}


def item_document(file_id: str, item: Item, components: list[Component]) -> dict[str, Any]:
    """item.json: the item and its components' metadata, each with its path in the bag."""
    return {"format": "records.item/1", **item.public(),
            "components": [{**{k: v for k, v in c.public().items() if k not in ("fixity", "version", "updated_at")},
                            "path": component_path(file_id, item.id, c.id, c.filename)} for c in components]}


def _access(doc: dict[str, Any] | None) -> Access:
    doc = doc or {}
    return Access(classification=doc.get("classification", "open"), grounds=tuple(doc.get("grounds") or ()),
                  closed_fields=tuple(doc.get("closed_fields") or ()), review_on=doc.get("review_on"),
                  extended_until=doc.get("extended_until"))


def _rule(doc: dict[str, Any]) -> Rule:
    access = doc.get("access") or {}
    return Rule(retention=doc["retention"], action=doc["action"], trigger=doc.get("trigger") or "year_after_closing",
                access=access.get("classification", "open"), grounds=tuple(access.get("grounds") or ()),
                notes=doc.get("notes"))


class BadDocument(ValueError):
    """A package document that is not what a sender's package holds."""


def received_file(doc: dict[str, Any], receiver_org: str, transfer_id: str, at: str) -> RecordFile:
    """The receiver's file from file.json: the same id and description, closed, in the receiver's custody."""
    try:
        if doc.get("format") != "records.file/1":
            raise BadDocument("not a file document")
        return RecordFile(
            org_id=receiver_org, id=doc["id"], class_code=doc["class_code"], scheme_version=int(doc["scheme_version"]),
            rule_version=int(doc["rule_version"]), rule=_rule(doc["rule"]), title=doc["title"],
            producing_unit=doc["producing_unit"], record_type=doc["record_type"], electronic=bool(doc["electronic"]),
            access=_access(doc.get("access")), class_title=doc.get("class_title"), reference=doc.get("reference"),
            creator=doc.get("creator"), start_date=doc.get("start_date"), end_date=doc.get("end_date"),
            volume=int(doc.get("volume") or 1), language=doc.get("language"),
            keywords=tuple(doc.get("keywords") or ()), description=doc.get("description"), status="closed",
            retention=doc.get("retention"), action=doc.get("action"),
            retention_overridden=bool(doc.get("retention_overridden")), closed_on=doc.get("closed_on"),
            production_year=doc.get("production_year"), retention_starts_on=doc.get("retention_starts_on"),
            disposal_due=doc.get("disposal_due"), transfer_id=transfer_id,
            custody={"holder": RECEIVED, "from_org": doc["organisation"], "transfer_id": transfer_id, "since": at},
            created_by=doc.get("created_by") or "", created_at=doc.get("created_at") or at, updated_at=at)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadDocument(f"file.json: {exc}") from None


def received_item(doc: dict[str, Any], receiver_org: str, file_id: str, at: str) -> Item:
    try:
        if doc.get("format") != "records.item/1" or doc.get("file_id") != file_id:
            raise BadDocument("not an item document of this file")
        return Item(org_id=receiver_org, file_id=file_id, id=doc["id"], registration_number=doc["registration_number"],
                    title=doc["title"], access=_access(doc.get("access")), author=doc.get("author"),
                    date=doc.get("date"), pages=doc.get("pages"), attachments=tuple(doc.get("attachments") or ()),
                    description=doc.get("description"), created_by=doc.get("created_by") or "",
                    created_at=doc.get("created_at") or at, updated_at=at)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadDocument(f"item.json: {exc}") from None


def package_components(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The components an item document lists (each with id, filename, media_type, size, sha256, path)."""
    listed = doc.get("components") or []
    for c in listed:
        if not all(isinstance(c.get(k), str) for k in ("id", "filename", "media_type", "sha256", "path")) or \
                not isinstance(c.get("size"), int):
            raise BadDocument("item.json: a component lacks its id, name, type, size, sha256 or path")
    return listed


def received_component(doc: dict[str, Any], item: Item, object_key: str, object_version: str, at: str) -> Component:
    """The receiver's component: the same id and metadata, its bytes the receiver's verified copy."""
    return Component(org_id=item.org_id, file_id=item.file_id, item_id=item.id, id=doc["id"], filename=doc["filename"],
                     media_type=doc["media_type"], size=doc["size"], sha256=doc["sha256"], object_key=object_key,
                     object_version=object_version, label=doc.get("label"), description=doc.get("description"),
                     captured_by=doc.get("captured_by") or "", captured_at=doc.get("captured_at") or at,
                     fixity_checked_at=at, fixity_status="ok", updated_at=at)
