"""Due lists (이관 대상): the entries of each day's list and the pointer to the latest day (keys: see
tables.py). A repeated run of the day rewrites the same entries; entries expire after DAYS_KEPT."""
from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist

from ..domain.model import DueEntry
from .tables import DUE_POINTER, DueEntryItem, DuePointerItem, due_key, due_sort_key, org_key
from .tx import Tx, page, read

DAYS_KEPT = 30
PER_WRITE = 50


def put_day(org_id: str, as_of: str, entries: list[DueEntry]) -> None:
    """The day's entries (in transactions of PER_WRITE), then the pointer to the day (never to an earlier one)."""
    expiration = int(time.time()) + DAYS_KEPT * 86400
    for start in range(0, len(entries), PER_WRITE):
        tx = Tx()
        for entry in entries[start:start + PER_WRITE]:
            item = DueEntryItem.of(entry)
            item.expiration = expiration
            tx.put(item, condition=DueEntryItem.pk.does_not_exist() | (DueEntryItem.due_on == entry.due_on))
        tx.run()
    Tx().put(DuePointerItem(pk=org_key(org_id), sk=DUE_POINTER, as_of=as_of),
             condition=DuePointerItem.pk.does_not_exist() | (DuePointerItem.as_of <= as_of)).run()


def latest_day(org_id: str) -> str | None:
    try:
        return read(DuePointerItem.get, org_key(org_id), DUE_POINTER).as_of
    except DoesNotExist:
        return None


def list_day(org_id: str, as_of: str, kind: str | None, limit: int, cursor: str | None):
    return page(DueEntryItem, due_key(org_id, as_of), due_sort_key(kind, "") if kind else "", limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, as_of=as_of))
