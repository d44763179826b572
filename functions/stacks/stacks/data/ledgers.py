"""The ledgers of the destruction and transfer sagas: what each run or transfer did to which box.

A ledger entry is written in the same transaction as the box change it records (its condition:
not there yet), so a step retried after a crash answers from the ledger what it did the first
time, and a change is never recorded twice. Markers (a transfer cancelled, a receipt reverted)
are checked by the forward steps' transactions, so a late retry of a forward step after its
compensation changes nothing.

    destruction run  ORG#<org>#RUN#<run id>       FILE#<file id>#BOX#<box id>  {barcode, box_destroyed, ...}
    transfer, sender ORG#<org>#XFER#<transfer id> FILE#<file id>               (the transfer's files seen so far)
                                                  BOX#<box id>                 {manifest, prior_status}
                                                  CANCELLED | RECEIVER         {receiver_org}
    transfer, receiver                            IN#<box id>#<execution id> | UNRECEIVED#<execution id>  (per
                                                  acceptance run: a run's receipt reverted, a later run receives again)
"""
from __future__ import annotations

from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist

from shared.problems import Conflict

from .tables import LedgerItem, run_ledger_key, transfer_ledger_key
from .tx import Tx, read

BATCH_GET = 100
CANCELLED, UNRECEIVED, RECEIVER = "CANCELLED", "UNRECEIVED", "RECEIVER"


class LedgerRecorded(Conflict):
    """Another run of the same step recorded this change first (decide again)."""

    def __init__(self) -> None:
        super().__init__("This change is already recorded.")


# ---------------------------------------------------------------------- items
def run_entry(org_id: str, run_id: str, file_id: str, box_id: str, data: dict[str, Any], at: str) -> LedgerItem:
    return LedgerItem(pk=run_ledger_key(org_id, run_id), sk=f"FILE#{file_id}#BOX#{box_id}", box_id=box_id,
                      data=data, at=at)


def transfer_entry(org_id: str, transfer_id: str, sk: str, at: str, box_id: str | None = None,
                   data: dict[str, Any] | None = None) -> LedgerItem:
    return LedgerItem(pk=transfer_ledger_key(org_id, transfer_id), sk=sk, box_id=box_id, data=data, at=at)


def arrival(box_id: str, execution_id: str | None) -> str:
    """A box registered at the receiver by one acceptance run (a later run, after this one was undone,
    registers it again under its own entry)."""
    return f"IN#{box_id}#{execution_id}" if execution_id else f"IN#{box_id}"


def unreceived(execution_id: str | None) -> str:
    """The marker of one acceptance run's receipt reverted. Per run, not per transfer: its own late retries
    register nothing, while the receiver may accept the transfer again (another run) once the cause is gone."""
    return f"{UNRECEIVED}#{execution_id}" if execution_id else UNRECEIVED


def transfer_marker(org_id: str, transfer_id: str, name: str) -> tuple[str, str]:
    return transfer_ledger_key(org_id, transfer_id), name


# ---------------------------------------------------------------------- reads
def _query(pk: str, prefix: str) -> list[LedgerItem]:
    result = LedgerItem.query(pk, LedgerItem.sk.startswith(prefix), consistent_read=True)
    return read(lambda: list(result))


def run_entries(org_id: str, run_id: str, file_ids: Iterable[str]) -> list[LedgerItem]:
    """What the run recorded for these files (one query per file: a file may have been in several boxes)."""
    pk = run_ledger_key(org_id, run_id)
    return [entry for file_id in dict.fromkeys(file_ids) for entry in _query(pk, f"FILE#{file_id}#BOX#")]


def transfer_entries(org_id: str, transfer_id: str, prefix: str) -> list[LedgerItem]:
    """The transfer's boxes (`BOX#` leaving, `IN#` arriving) in box id order."""
    return _query(transfer_ledger_key(org_id, transfer_id), prefix)


def transfer_files(org_id: str, transfer_id: str, file_ids: Iterable[str]) -> set[str]:
    """Which of these files the transfer has named so far."""
    pk = transfer_ledger_key(org_id, transfer_id)
    ids = list(dict.fromkeys(file_ids))
    found: set[str] = set()
    for start in range(0, len(ids), BATCH_GET):
        keys = [(pk, f"FILE#{f}") for f in ids[start:start + BATCH_GET]]
        found |= {item.sk.removeprefix("FILE#")
                  for item in read(lambda: list(LedgerItem.batch_get(keys, consistent_read=True)))}
    return found


def marker(org_id: str, transfer_id: str, name: str) -> LedgerItem | None:
    try:
        return read(LedgerItem.get, transfer_ledger_key(org_id, transfer_id), name, consistent_read=True)
    except DoesNotExist:
        return None


# --------------------------------------------------------------------- writes
def record_transfer_files(org_id: str, transfer_id: str, file_ids: Iterable[str], at: str) -> None:
    """Name files as part of the transfer (idempotent puts: the same file named twice is one entry)."""
    ids = list(dict.fromkeys(file_ids))
    for start in range(0, len(ids), 25):
        tx = Tx()
        for file_id in ids[start:start + 25]:
            tx.put(transfer_entry(org_id, transfer_id, f"FILE#{file_id}", at))
        tx.run()


def put_marker(org_id: str, transfer_id: str, name: str, at: str, data: dict[str, Any] | None = None) -> None:
    """Set a marker once (a second time changes nothing)."""
    try:
        (Tx().put(transfer_entry(org_id, transfer_id, name, at, data=data),
                  condition=LedgerItem.pk.does_not_exist(), on_fail=LedgerRecorded()).run())
    except LedgerRecorded:
        pass
