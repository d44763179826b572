"""The register (출입 및 열람·반출 관리대장) as CSV: one row per check-out, return or correction."""
from __future__ import annotations

import csv
import io
from typing import Iterable

from .model import RegisterEntry

COLUMNS = ("at", "action", "request_id", "loan_id", "box_id", "box_barcode", "box_title", "requester",
           "handled_by", "purpose", "destination", "destination_name", "period_from", "period_until",
           "condition", "condition_note", "reason")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text as a spreadsheet will show it; text that would start a formula is defused with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def row(entry: RegisterEntry) -> list[str]:
    values = {
        "at": entry.at, "action": entry.action, "request_id": entry.request_id, "loan_id": entry.loan_id,
        "box_id": entry.box_id, "box_barcode": entry.box_barcode, "box_title": entry.box_title,
        "requester": entry.requester, "handled_by": entry.handled_by, "purpose": entry.purpose,
        "destination": entry.destination.get("kind"), "destination_name": entry.destination.get("name"),
        "period_from": entry.period_from, "period_until": entry.period_until, "condition": entry.condition,
        "condition_note": entry.condition_note, "reason": entry.reason,
    }
    return [_cell(values[c]) for c in COLUMNS]


def to_csv(entries: Iterable[RegisterEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow(row(entry))
    return out.getvalue()
