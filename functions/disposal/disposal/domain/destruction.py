"""The destruction run's rules (no AWS here): which files a run may take, its pages, its grace window, the
order of its states, what a file's state may become, and the destruction register's lines.

- A run takes only files whose appraisal ended in a committee decision `destroy`, under no hold, in no other
  run and not destroyed. Its files are cut into pages of at most PAGE_SIZE, so every saga step handles a
  bounded page and no state payload ever holds the whole run.
- Holds are checked again inside the saga twice: when a page is marked (a hold placed after the committee
  stops that file) and at the confirmation after the grace window (a hold placed during the window stops it
  too: records unmarks it).
- Run states: started -> marking -> grace -> destroying -> completed, or cancelled (asked before the
  irreversible step) or failed (nothing destroyed, every mark undone).
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any, Iterable

from .model import CANCELLABLE_RUN_STATUSES, FINAL_RUN_STATUSES, FileReview, FileView, RegisterEntry, Run

PAGE_SIZE = 25  # files per saga step (contracts: a page)
MAX_RUN_FILES = 2000  # files a run takes (bigger disposals are several runs)
MARKABLE = ("closed", "under_review")  # records' statuses it marks from (contracts A1)
STATE_ORDER = ("started", "marking", "grace", "destroying")

REGISTER_COLUMNS = ("destroyed_at", "run_id", "file_id", "title", "producing_unit", "class_code", "retention",
                    "meeting_id", "components", "executed_by", "supervisor")


def page_of(position: int) -> int:
    return position // PAGE_SIZE


def pages(file_count: int) -> list[int]:
    return list(range((file_count + PAGE_SIZE - 1) // PAGE_SIZE))


def refusal(file_id: str, file: FileView | None, entry: FileReview | None, held: bool) -> str | None:
    """Why a file cannot go into a destruction run now, or None (the route names each one refused)."""
    if file is None or file.status is None:
        return "no such file in your organisation"
    if file.status == "destroyed":
        return "the file is destroyed"
    if file.in_run:
        return f"already in destruction run {file.in_run}"
    if entry is None or entry.decision is None or entry.decision.decision != "destroy":
        return "the appraisal committee has not decided to destroy it"
    if held:
        return "a hold applies to the file"
    if file.status not in MARKABLE:
        return f"the file is {file.status}"
    return None


def claim_refusal(file: FileView | None, run_id: str) -> str | None:
    """Inside the saga: why the run cannot take the file (it moved since the run was asked for), or None."""
    if file is None or file.status is None:
        return "unknown-file"
    if file.in_run and file.in_run != run_id:
        return "in-other-run"
    if file.status == "destroyed":
        return "final"
    if file.status not in (*MARKABLE, "being_destroyed"):
        return "not-closed"
    return None


def grace_until(started: datetime, grace_days: int) -> str:
    """The end of the grace window, as Step Functions' Wait reads a timestamp (UTC, seconds, Z)."""
    return (started + timedelta(days=grace_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cancellable(run: Run) -> bool:
    return run.status in CANCELLABLE_RUN_STATUSES and run.cancel_requested_at is None


def final(run: Run) -> bool:
    return run.status in FINAL_RUN_STATUSES


def reached(run: Run, status: str) -> bool:
    """Whether the run is at `status` or past it on the forward path."""
    if run.status in FINAL_RUN_STATUSES:
        return run.status == "completed"
    return STATE_ORDER.index(run.status) >= STATE_ORDER.index(status)


def register_csv(entries: Iterable[RegisterEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for e in entries:
        writer.writerow([_cell(getattr(e, c)) for c in REGISTER_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
