"""Disposal's read model of records' files (keys: see tables.py), and the receipts of the events that fed it.

Each event is applied once (shared.readmodel.apply_once): a duplicate changes nothing, and two events of
one file never lose one another's change.
"""
from __future__ import annotations

import time
from typing import Callable

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.readmodel import apply_once

from ..domain.model import FileView
from .tables import DISPOSAL_DUE, FileViewItem, ReceiptItem, file_sort_key, org_key, receipt_key
from .tx import Tx, read

RECEIPT_DAYS = 30


def get_file(org_id: str, file_id: str, consistent: bool = False) -> FileView | None:
    try:
        return read(FileViewItem.get, org_key(org_id), file_sort_key(file_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def file_condition(before: FileView | None):
    return FileViewItem.pk.does_not_exist() if before is None else FileViewItem.version == before.version


def apply_event(org_id: str, file_id: str, event_id: str, type_: str,
                change: Callable[[FileView], FileView]) -> bool:
    """Apply one event to a file once; True if it changed what disposal knows."""
    receipt = ReceiptItem(pk=receipt_key(event_id), sk="EVENT", type=type_,
                          expiration=int(time.time()) + RECEIPT_DAYS * 86400)
    return apply_once(Tx, receipt, FileViewItem, lambda: get_file(org_id, file_id, consistent=True),
                      FileView(org_id=org_id, id=file_id, version=0), change, what="file")


def due_files(today: str, limit: int, start: dict | None = None) -> tuple[list[FileView], dict | None]:
    """Files of every organisation due for appraisal on or before `today` (not listed, not awaiting a reset)."""
    result = FileViewItem.gsi1.query(DISPOSAL_DUE, FileViewItem.gsi1sk <= f"{today}#~", limit=limit,
                                     last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key


def stage_file(tx: Tx, after: FileView, before: FileView) -> Tx:
    """Stage a file's new state in `tx`, conditional on the one read (a concurrent event makes it fail)."""
    return tx.put(FileViewItem.of(after.with_changes(version=before.version + 1)),
                  condition=FileViewItem.version == before.version, on_fail=stale("file"))
