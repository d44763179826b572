"""Records' exports as plain text: lists of files and items as CSV (from the views the caller may see, so
a requester's export redacts what their screen redacts)."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

FILE_COLUMNS = ("id", "reference", "class_code", "class_title", "scheme_version", "rule_version", "title",
                "producing_unit", "creator", "record_type", "electronic", "start_date", "end_date", "volume",
                "language", "keywords", "description", "status", "retention", "action", "closed_on",
                "production_year", "retention_starts_on", "disposal_due", "access", "grounds", "review_on")
ITEM_COLUMNS = ("id", "file_id", "registration_number", "title", "author", "date", "pages", "attachments",
                "description", "access", "grounds", "review_on")
MAX_CSV_ROWS = 10_000  # one answer (Lambda returns at most 6 MB); narrow the selection for more


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    text = str(value)
    # a spreadsheet would run a cell starting with these as a formula (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(view: dict[str, Any], columns: tuple[str, ...]) -> list[str]:
    access = view.get("access") or {}
    flat = {**view, "access": access.get("classification"), "grounds": access.get("grounds"),
            "review_on": access.get("review_on")}
    return [_cell(flat.get(name)) for name in columns]


def to_csv(views: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for view in views:
        writer.writerow(_row(view, columns))
    return out.getvalue()


def files_csv(views: Iterable[dict[str, Any]]) -> str:
    return to_csv(views, FILE_COLUMNS)


def items_csv(views: Iterable[dict[str, Any]]) -> str:
    return to_csv(views, ITEM_COLUMNS)
