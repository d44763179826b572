"""The record files stacks knows from the records capability's events, and the receipts of those events.

A file changes in one transaction with the receipt of the event that changed it: the file is
conditional on the version that was read (two deliveries racing never both land) and the
receipt on not existing yet (a redelivered event changes nothing).
"""
from __future__ import annotations

import time
from typing import Iterable

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.problems import Conflict

from ..domain.records import RecordFile
from .tables import AppliedEventItem, RecordFileItem, applied_event_key, record_file_key
from .tx import Tx, read

RECEIPT_DAYS = 30
BATCH_GET = 100  # DynamoDB's limit per BatchGetItem


class AlreadyApplied(Conflict):
    def __init__(self) -> None:
        super().__init__("This event was already applied.")


def get_file(org_id: str, file_id: str) -> RecordFile | None:
    try:
        return read(RecordFileItem.get, record_file_key(org_id, file_id), "FILE", consistent_read=True).entity()
    except DoesNotExist:
        return None


def files(org_id: str, file_ids: Iterable[str]) -> dict[str, RecordFile]:
    """file id → the file, for those of `org_id` the read model holds."""
    ids = list(dict.fromkeys(file_ids))
    found: dict[str, RecordFile] = {}
    for start in range(0, len(ids), BATCH_GET):
        keys = [(record_file_key(org_id, f), "FILE") for f in ids[start:start + BATCH_GET]]
        for item in read(lambda: list(RecordFileItem.batch_get(keys))):
            file = item.entity()
            found[file.id] = file
    return found


def save_file(after: RecordFile, before: RecordFile | None, event_id: str, at: str) -> None:
    """The file as the event left it, with the event's receipt; AlreadyApplied for a redelivery."""
    condition = (RecordFileItem.pk.does_not_exist() if before is None
                 else RecordFileItem.version == before.version)
    receipt = AppliedEventItem(pk=applied_event_key(event_id), sk="APPLIED", at=at,
                               expiration=int(time.time()) + RECEIPT_DAYS * 86400)
    (Tx().put(RecordFileItem.of(after), condition=condition, on_fail=stale("record file"))
     .put(receipt, condition=AppliedEventItem.pk.does_not_exist(), on_fail=AlreadyApplied())
     .run())


def applied(event_id: str) -> bool:
    try:
        read(AppliedEventItem.get, applied_event_key(event_id), "APPLIED", consistent_read=True)
        return True
    except DoesNotExist:
        return False
