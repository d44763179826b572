"""Items (기록물건) inside a file: registration, description, reading (redacted as the caller may see)."""
from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import DomainEvent, now_iso
from shared.idempotency import derived_id

from ..data import files as store
from ..domain import access as access_rules
from ..domain import destruction as destruction_rules
from ..domain import lifecycle
from ..domain.access import reader_org, registrar_org
from ..domain.model import Access, Item, RecordFile
from ..domain.problems import FileStateConflict
from .common import calendar_date, event, item_subject, refuse_if, subjects_of
from .files import access_from, file_of

DESCRIPTIVE = ("title", "author", "date", "pages", "attachments", "description")


def default_access(file: RecordFile) -> Access:
    """An item starts with its file's classification and grounds (never more open than its file); which of
    its own fields are closed is the archivist's to say."""
    return Access(file.access.classification, file.access.grounds, (), file.access.review_on)


def new_item(file: RecordFile, actor: dict[str, Any], body: dict[str, Any], item_id: str,
             job_id: str | None = None) -> tuple[Item, DomainEvent]:
    """An item of an open file (or of a file the bulk registration `job_id` registered) and its ItemAdded
    event; every bad field refused at once."""
    destruction_rules.refuse_while_marked(file, "a new item")
    if not lifecycle.accepts_items(file.status) and not (job_id and file.registered_by_job == job_id):
        raise FileStateConflict(f"The file is {file.status}; only an open file takes items.")
    errors: list[dict[str, Any]] = []
    calendar_date(body.get("date"), "date", errors)
    access = access_from(body.get("access"), default_access(file), clock.today(), errors,
                         access_rules.ITEM_REDACTABLE)
    refuse_if(errors)
    stamp = now_iso()
    item = Item(org_id=file.org_id, file_id=file.id, id=item_id, registration_number=body["registration_number"],
                title=body["title"], access=access, author=body.get("author"), date=body.get("date"),
                pages=body.get("pages"), attachments=tuple(body.get("attachments") or ()),
                description=body.get("description"), created_by=actor["user_id"], created_at=stamp, updated_at=stamp)
    added = event("ItemAdded", subjects_of(file, item_subject(file.org_id, item.id)),
                  {"file_id": file.id, "item_id": item.id, "registration_number": item.registration_number,
                   "access": item.access.classification}, actor)
    return item, added


def add_item(caller: Caller, file_id: str, body: dict[str, Any], idempotency_key: str | None) -> Item:
    org_id = registrar_org(caller)
    file = file_of(org_id, file_id, consistent=True)
    item, added = new_item(file, caller.as_actor(), body,
                           derived_id(f"item|{org_id}|{file_id}|{caller.user_id}", idempotency_key))
    store.create_item(item, added)
    return item


def item_of(org_id: str, file_id: str, item_id: str, consistent: bool = False) -> Item:
    return require_found(store.get_item(org_id, file_id, item_id, consistent), "item")


def get_item(caller: Caller, file_id: str, item_id: str) -> tuple[dict[str, Any], int]:
    org_id = reader_org(caller)
    file = file_of(org_id, file_id)
    item = item_of(org_id, file_id, item_id)
    return access_rules.item_view(caller.roles, file, item), item.version


def list_items(caller: Caller, file_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    file = file_of(org_id, file_id)
    items, next_cursor = store.list_items(org_id, file_id, limit, cursor)
    return [access_rules.item_view(caller.roles, file, i) for i in items], next_cursor


def update_item(caller: Caller, file_id: str, item_id: str, changes: dict[str, Any], expected_version: int) -> Item:
    """Descriptive metadata (not the registration number), while the file is still here."""
    org_id = registrar_org(caller)
    file = file_of(org_id, file_id)
    before = item_of(org_id, file_id, item_id, consistent=True)
    require_version(before, expected_version, "item")
    destruction_rules.refuse_while_marked(file, "a change of its items")
    if not lifecycle.editable(file.status):
        raise FileStateConflict(f"A {file.status} file's items cannot be changed.")
    errors: list[dict[str, Any]] = []
    calendar_date(changes.get("date"), "date", errors)
    refuse_if(errors)
    fields = {k: (tuple(v) if k == "attachments" else v) for k, v in changes.items() if k in DESCRIPTIVE}
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.save_item(after, before, event("ItemUpdated", subjects_of(file, item_subject(org_id, item_id)),
                                         {"file_id": file_id, "item_id": item_id, "changes": changes},
                                         caller.as_actor()))
    return after
