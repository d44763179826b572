"""Transfer's rules (no AWS here).

- Kinds: `to_records_centre` moves custody of closed files from their producing unit to the organisation's
  records centre (sender and receiver are one organisation); `to_archive` sends closed files kept 30 years
  or more (30y, 준영구, 영구) to a permanent archive (another organisation).
- Due (이관 대상), per the class's rule: a file is due to the records centre from the start of its retention
  (1 January of the year after it was closed) and must be there within 2 years of it; a file kept 30 years or
  more, in the records centre's custody, is due to the permanent archive 10 years after its retention start.
- Never transferred: a file under an active hold (by id, class code or producing unit); a file whose access
  classification was not reviewed in the last 5 years (law art. 35: reclassify before transfer).
- Statuses: draft → packaging → awaiting_inspection → accepting → accepted | rejected; failed (the package
  failed, or the bag no longer verified when the receiver took it in; everything undone); cancelled (a draft
  withdrawn).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from .model import LONG_RETENTIONS, PAGE_SIZE, FileView, HoldView

REVIEW_YEARS = 5
RECORDS_CENTRE_WITHIN_YEARS = 2
ARCHIVE_AFTER_YEARS = 10
FINAL_FILE_STATUSES = ("transferred", "destroyed")
SENDABLE_FILE_STATUSES = ("closed", "under_review")


def years_on(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------------- holds
def held(holds: Iterable[HoldView], file_id: str, file: FileView | None) -> bool:
    """Whether any active hold covers the file: by id, or by its class code or producing unit."""
    for hold in holds:
        if not hold.active:
            continue
        if file_id in hold.files:
            return True
        if file is not None and ((file.class_code and file.class_code in hold.class_codes) or
                                 (file.producing_unit and file.producing_unit in hold.producing_units)):
            return True
    return False


# ------------------------------------------------------------- access review
def access_review_stale(file: FileView, today: date) -> bool:
    """Not reviewed (decided at filing, reclassified or re-reviewed) within the last 5 years."""
    if not file.access_reviewed_on:
        return True
    return file.access_reviewed_on < years_on(today, -REVIEW_YEARS).isoformat()


# ------------------------------------------------------------------------ due
def retention_start(file: FileView) -> date | None:
    year = file.production_year or (int(file.closed_on[:4]) if file.closed_on else None)
    return date(year + 1, 1, 1) if year else None


def due(file: FileView) -> tuple[str, str, str | None] | None:
    """(kind, due on, deadline) of the transfer the file is due for, or None.

    A file whose FileCreated (or FileReceived) has not reached transfer yet is not listed: events arrive in
    any order, and a list built from a FileClosed alone would flag the file's access review as stale."""
    start = retention_start(file)
    if file.status not in SENDABLE_FILE_STATUSES or start is None or not file.title:
        return None
    if file.custody != "records_centre":
        return ("to_records_centre", start.isoformat(),
                years_on(start, RECORDS_CENTRE_WITHIN_YEARS).isoformat())
    if file.retention in LONG_RETENTIONS:
        return "to_archive", years_on(start, ARCHIVE_AFTER_YEARS).isoformat(), None
    return None


# ---------------------------------------------------------------- transferable
def transferable_error(file: FileView | None, kind: str, claimed_by: str | None) -> str | None:
    """Why a file cannot go into a transfer of `kind` (besides holds and stale access reviews), or None."""
    if file is None or file.status is None:
        return "no such file in your organisation"
    if file.status in FINAL_FILE_STATUSES:
        return f"the file is {file.status}"
    if file.status not in SENDABLE_FILE_STATUSES:
        return f"the file is {file.status}; only closed files are transferred"
    if claimed_by:
        return f"already in transfer {claimed_by}"
    if kind == "to_archive" and file.retention not in LONG_RETENTIONS:
        return f"kept {file.retention or 'for an unknown period'}; only files kept 30 years or more go to the archive"
    if kind == "to_records_centre" and file.custody == "records_centre":
        return "already in the records centre's custody"
    return None


def pages(file_ids: list[str]) -> list[tuple[str, ...]]:
    return [tuple(file_ids[i:i + PAGE_SIZE]) for i in range(0, len(file_ids), PAGE_SIZE)]


# -------------------------------------------------------------------- statuses
MOVES = {
    "draft": ("packaging", "cancelled"),
    "packaging": ("awaiting_inspection", "failed"),
    "awaiting_inspection": ("accepting", "failed"),  # failed: the package's compensation ran after its verification
    "accepting": ("accepted", "rejected", "awaiting_inspection", "failed"),  # failed: the bag no longer verified at intake
}


def can_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, ())
