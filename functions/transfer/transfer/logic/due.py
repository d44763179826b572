"""Due lists (이관 대상): the daily job lists, per organisation, the files due for a transfer (to the records
centre, to the permanent archive), each flagged when a hold applies or its access review is stale (such files
cannot be sent until that changes); files already in a transfer are left out."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from shared import clock
from shared.auth import Caller

from ..data import due as store
from ..data import views as views_store
from ..domain import rules
from ..domain.access import reader_org
from ..domain.model import DueEntry


def build_due_lists(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: every file due on or before today (Asia/Seoul) into its organisation's list of the day
    (a repeated run rewrites the same entries)."""
    day = date.fromisoformat(today) if today else clock.today()
    found: dict[str, list[DueEntry]] = defaultdict(list)
    holds: dict[str, list] = {}
    start, seen, claimed = None, 0, 0
    while True:
        files, start = views_store.due_files(day.isoformat(), limit, start)
        for file in files:
            seen += 1
            if views_store.claim_of(file.org_id, file.id, consistent=False):
                claimed += 1
                continue
            if file.org_id not in holds:
                holds[file.org_id] = views_store.active_holds(file.org_id)
            kind, due_on, deadline = rules.due(file)
            found[file.org_id].append(DueEntry(
                org_id=file.org_id, as_of=day.isoformat(), kind=kind, file_id=file.id, title=file.title,
                producing_unit=file.producing_unit, class_code=file.class_code, retention=file.retention,
                due_on=due_on, deadline=deadline, held=rules.held(holds[file.org_id], file.id, file),
                access_review_stale=rules.access_review_stale(file, day),
                access_reviewed_on=file.access_reviewed_on))
        if not start:
            break
    for org_id, entries in found.items():
        store.put_day(org_id, day.isoformat(), entries)
    return {"due": seen, "in_transfer": claimed, "organisations": sorted(found)}


def list_due(caller: Caller, kind: str | None, limit: int, cursor: str | None):
    """The latest due list of the caller's organisation: (the day it was built for, entries, next cursor)."""
    org_id = reader_org(caller)
    as_of = store.latest_day(org_id)
    if as_of is None:
        return None, [], None
    items, next_cursor = store.list_day(org_id, as_of, kind, limit, cursor)
    return as_of, items, next_cursor
