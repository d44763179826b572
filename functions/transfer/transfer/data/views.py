"""Transfer's read models (records' files, disposal's holds, identity's organisations; keys: see tables.py),
the receipts of the events that fed them, and the claims that keep a file in one transfer at a time.

Each event is applied once (shared.readmodel.apply_once): a duplicate changes nothing, and two events of
one view never lose one another's change.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from pynamodb.exceptions import DoesNotExist

from shared.readmodel import apply_once

from ..domain.model import FileView, HoldView, Organisation
from .tables import (ORGANISATIONS, TRANSFER_DUE, ClaimItem, FileViewItem, HoldViewItem, OrganisationItem,
                     ReceiptItem, claim_sort_key, file_sort_key, hold_sort_key, org_key, organisation_sort_key,
                     receipt_key)
from .tx import Tx, read

RECEIPT_DAYS = 30
_MODELS = {"file": (FileViewItem, file_sort_key), "hold": (HoldViewItem, hold_sort_key)}


def _get(model, pk: str, sk: str, consistent: bool) -> Any:
    try:
        return read(model.get, pk, sk, consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def get_file(org_id: str, file_id: str, consistent: bool = False) -> FileView | None:
    return _get(FileViewItem, org_key(org_id), file_sort_key(file_id), consistent)


def get_organisation(org_id: str, consistent: bool = False) -> Organisation | None:
    return _get(OrganisationItem, ORGANISATIONS, organisation_sort_key(org_id), consistent)


def active_holds(org_id: str) -> list[HoldView]:
    """Every active hold of the organisation (there are few; each file's check reads them)."""
    result = HoldViewItem.query(org_key(org_id), HoldViewItem.sk.startswith(hold_sort_key("")),
                                filter_condition=HoldViewItem.active == True)  # noqa: E712 (a condition)
    return read(lambda: [i.entity() for i in result])


def claim_of(org_id: str, file_id: str, consistent: bool = True) -> str | None:
    """The transfer holding the file, if one does."""
    try:
        return read(ClaimItem.get, org_key(org_id), claim_sort_key(file_id), consistent_read=consistent).transfer_id
    except DoesNotExist:
        return None


def apply_event(kind: str, org_id: str, entity_id: str, event_id: str, type_: str,
                change: Callable[[Any], Any]) -> bool:
    """Apply one event to a view once; True if it changed what transfer knows."""
    if kind == "organisation":
        model, pk, sk, blank = (OrganisationItem, ORGANISATIONS, organisation_sort_key(entity_id),
                                Organisation(id=entity_id, version=0))
    else:
        model, key = _MODELS[kind]
        pk, sk = org_key(org_id), key(entity_id)
        blank = (FileView if kind == "file" else HoldView)(org_id=org_id, id=entity_id, version=0)
    receipt = ReceiptItem(pk=receipt_key(event_id), sk="EVENT", type=type_,
                          expiration=int(time.time()) + RECEIPT_DAYS * 86400)
    return apply_once(Tx, receipt, model, lambda: _get(model, pk, sk, True), blank, change)


def due_files(today: str, limit: int, start: dict | None = None) -> tuple[list[FileView], dict | None]:
    """Files of every organisation due for a transfer on or before `today`."""
    result = FileViewItem.gsi1.query(TRANSFER_DUE, FileViewItem.gsi1sk <= f"{today}#~", limit=limit,
                                     last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key
