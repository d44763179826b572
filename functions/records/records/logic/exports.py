"""Exports: a file's description as JSON (the file, its items and boxes as the caller may see them) and
lists of files and items as CSV (every matching row, at most MAX_CSV_ROWS)."""
from __future__ import annotations

from typing import Any, Callable

from shared.auth import Caller
from shared.events import now_iso
from shared.problems import ValidationFailed

from ..data import files as store
from ..domain import access as access_rules
from ..domain import exports
from ..domain.access import reader_org
from .files import file_of

MAX_DESCRIBED_ITEMS = 5_000  # keeps the JSON description inside one Lambda answer (6 MB)


def _every(read_page: Callable[[str | None], tuple[list[Any], str | None]], what: str, field: str) -> list[Any]:
    rows, cursor = [], None
    while True:
        found, cursor = read_page(cursor)
        rows.extend(found)
        if len(rows) > exports.MAX_CSV_ROWS:
            raise ValidationFailed(f"More than {exports.MAX_CSV_ROWS} {what} match; narrow the selection.",
                                   errors=[{"field": field, "message": "selection too large for one export"}])
        if cursor is None:
            return rows


def files_csv(caller: Caller, status: str | None, class_code: str | None) -> str:
    org_id = reader_org(caller)
    files = _every(lambda c: store.list_files(org_id, 100, c, status=status, class_code=class_code), "files",
                   "class_code")
    return exports.files_csv(access_rules.file_view(caller.roles, f) for f in files)


def items_csv(caller: Caller, file_id: str) -> str:
    org_id = reader_org(caller)
    file = file_of(org_id, file_id)
    items = _every(lambda c: store.list_items(org_id, file_id, 100, c), "items", "file_id")
    return exports.items_csv(access_rules.item_view(caller.roles, file, i) for i in items)


def describe_file(caller: Caller, file_id: str) -> dict[str, Any]:
    """The file, every item and the boxes it is in, as one JSON document (redacted as the caller sees them)."""
    org_id = reader_org(caller)
    file = file_of(org_id, file_id)
    items = []
    for item in store.all_items(org_id, file_id):
        if len(items) == MAX_DESCRIBED_ITEMS:
            raise ValidationFailed(f"The file has more than {MAX_DESCRIBED_ITEMS} items; export them as CSV "
                                   f"(GET /records/files/{file_id}/items?format=csv).",
                                   errors=[{"field": "file_id", "message": "too many items for one description"}])
        items.append(access_rules.item_view(caller.roles, file, item))
    return {"file": access_rules.file_view(caller.roles, file),
            "items": items, "boxes": [b.public() for b in store.boxes_of(org_id, file_id)]
            if access_rules.shows_boxes(caller.roles, file) else [],
            "exported_at": now_iso()}
