"""Transfers (one copy per side), their files and pages, the bag's entries and the claims on files
(keys: see tables.py).

A transfer is written in chunks (its files, pages and claims, each chunk one transaction conditional on the
transfer not existing yet), then both copies and the event in one last transaction: a transfer is visible
only once whole. A claim names the transfer a file is in: a file is in one transfer at a time.
A status change writes both copies, each conditional on the version read, with its event.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.bag import Entry
from ..domain.model import Page, Transfer, TransferFile
from .tables import (TRANSFER_SAGAS, BagEntriesItem, ClaimItem, PageItem, TransferFileItem, TransferItem, bag_key,
                     bag_sort_key, claim_sort_key, file_sort_key, org_key, page_sort_key, transfer_key,
                     transfer_sort_key)
from .tx import Tx, page, read

FILES_PER_WRITE = 40  # a file and its claim each, and its page: under DynamoDB's 100 operations
ENTRIES_PER_ITEM = 400  # bag entries per item (≈ 200 bytes each: well under 400 KB)


def get_transfer(org_id: str, transfer_id: str, consistent: bool = False) -> Transfer | None:
    try:
        return read(TransferItem.get, org_key(org_id), transfer_sort_key(transfer_id),
                    consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_transfers(org_id: str, limit: int, cursor: str | None, status: str | None = None,
                   role: str | None = None):
    condition = None
    for attribute, value in ((TransferItem.status, status), (TransferItem.role, role)):
        if value:
            condition = (attribute == value) if condition is None else condition & (attribute == value)
    return page(TransferItem, org_key(org_id), transfer_sort_key(""), limit, cursor, filter_condition=condition,
                newest_first=True)


def sagas_unchanged_since(cutoff: str) -> list[Transfer]:
    """Transfers of every organisation (the sender's copy) that a saga should be moving and that have not
    changed since `cutoff` (the sparse sagas index: a key range, never a scan)."""
    result = TransferItem.gsi1.query(TRANSFER_SAGAS, TransferItem.gsi1sk < cutoff, page_size=100)
    return read(lambda: [i.entity() for i in result])


def _copies(transfer: Transfer) -> list[Transfer]:
    if transfer.sender_org == transfer.receiver_org:
        return [transfer.copy_for(transfer.sender_org, "sender")]
    return [transfer.copy_for(transfer.sender_org, "sender"), transfer.copy_for(transfer.receiver_org, "receiver")]


def create(transfer: Transfer, files: list[TransferFile], pages: list[Page], event: DomainEvent,
           claims: bool = True) -> None:
    """The files, pages and claims in chunks (an export claims nothing), then both copies and the event; a
    file claimed by another transfer meanwhile undoes what was written (409)."""
    sender, tid = transfer.sender_org, transfer.id
    not_yet = TransferItem.pk.does_not_exist()
    page_of = {p.page: p for p in pages}
    written: list[str] = []
    try:
        for start in range(0, len(files), FILES_PER_WRITE):
            tx = Tx().check(TransferItem, org_key(sender), transfer_sort_key(tid), not_yet,
                            on_fail=Conflict("That transfer exists."))
            for f in files[start:start + FILES_PER_WRITE]:
                tx.put(TransferFileItem.of(f))
                if claims:
                    tx.put(ClaimItem(pk=org_key(sender), sk=claim_sort_key(f.file_id), transfer_id=tid),
                           condition=ClaimItem.pk.does_not_exist() | (ClaimItem.transfer_id == tid),
                           on_fail=Conflict(f"File {f.file_id} went into another transfer meanwhile."))
                if f.page in page_of:
                    tx.put(PageItem.of(page_of.pop(f.page)))
            tx.run()
            written += [f.file_id for f in files[start:start + FILES_PER_WRITE]]
        tx = Tx()
        for copy in _copies(transfer):
            tx.put(TransferItem.of(copy), condition=not_yet, on_fail=Conflict("That transfer exists."))
        tx.event(event).run()
    except Conflict:
        release_claims(sender, tid, written)
        raise


def save(after: Transfer, before: Transfer, events: Iterable[DomainEvent] = (), tx: Tx | None = None) -> Transfer:
    """Both copies of a transfer changed, conditional on the version read, with its events."""
    after = after.with_changes(version=before.version + 1)
    tx = tx or Tx()
    for copy in _copies(after):
        tx.put(TransferItem.of(copy), condition=TransferItem.version == before.version, on_fail=stale("transfer"))
    for event in events:
        tx.event(event)
    tx.run()
    return after


# --------------------------------------------------------------------- files
def get_file(sender_org: str, transfer_id: str, file_id: str, consistent: bool = False) -> TransferFile | None:
    try:
        item = read(TransferFileItem.get, transfer_key(sender_org, transfer_id), file_sort_key(file_id),
                    consistent_read=consistent)
    except DoesNotExist:
        return None
    return item.entity(sender_org=sender_org, transfer_id=transfer_id)


def list_files(sender_org: str, transfer_id: str, limit: int, cursor: str | None):
    return page(TransferFileItem, transfer_key(sender_org, transfer_id), file_sort_key(""), limit, cursor,
                convert=lambda i: i.entity(sender_org=sender_org, transfer_id=transfer_id))


def iter_files(sender_org: str, transfer_id: str) -> Iterator[TransferFile]:
    """Every file of the transfer, read a page of the table at a time."""
    cursor = None
    while True:
        files, cursor = list_files(sender_org, transfer_id, 100, cursor)
        yield from files
        if not cursor:
            return


def files_of(sender_org: str, transfer_id: str, file_ids: Iterable[str]) -> list[TransferFile]:
    keys = [(transfer_key(sender_org, transfer_id), file_sort_key(f)) for f in file_ids]
    found = read(lambda: list(TransferFileItem.batch_get(keys, consistent_read=True)))
    by_id = {i.sk.removeprefix(file_sort_key("")): i.entity(sender_org=sender_org, transfer_id=transfer_id)
             for i in found}
    return [by_id[f] for f in (k[1].removeprefix(file_sort_key("")) for k in keys) if f in by_id]


def save_file(after: TransferFile, before: TransferFile, event: DomainEvent | None = None) -> TransferFile:
    after = after.with_changes(version=before.version + 1)
    tx = Tx().put(TransferFileItem.of(after), condition=TransferFileItem.version == before.version,
                  on_fail=stale("transfer file"))
    if event is not None:
        tx.event(event)
    tx.run()
    return after


def set_states(files: list[TransferFile], state: str, **changes: Any) -> None:
    """Files of one page (≤ 25) to a new state, in one transaction (a retried step rewrites the same)."""
    if not files:
        return
    tx = Tx()
    for f in files:
        tx.put(TransferFileItem.of(f.with_changes(state=state, version=f.version + 1, **changes.get(f.file_id, {}))),
               condition=TransferFileItem.version == f.version, on_fail=stale("transfer file"))
    tx.run()


# --------------------------------------------------------------------- pages
def get_page(sender_org: str, transfer_id: str, number: int) -> Page | None:
    try:
        item = read(PageItem.get, transfer_key(sender_org, transfer_id), page_sort_key(page=number),
                    consistent_read=True)
    except DoesNotExist:
        return None
    return item.entity(sender_org=sender_org, transfer_id=transfer_id)


def save_boxes(p: Page, boxes: list[dict]) -> None:
    Tx().put(PageItem.of(p.with_changes(boxes=tuple(boxes))), condition=PageItem.pk.exists(),
             on_fail=Conflict("No such page.")).run()


# ------------------------------------------------------------------- entries
def put_entries(sender_org: str, transfer_id: str, number: int, source: str, entries: list[Entry]) -> None:
    """A page's payload entries from one source, in items of ENTRIES_PER_ITEM (a retried step writes the
    same items again)."""
    entries = sorted(entries, key=lambda e: e.path)
    chunks = [entries[i:i + ENTRIES_PER_ITEM] for i in range(0, len(entries), ENTRIES_PER_ITEM)] or [[]]
    for n, chunk in enumerate(chunks):
        text = json.dumps([[e.path, e.sha256, e.size] for e in chunk], separators=(",", ":"))
        item = BagEntriesItem(pk=bag_key(sender_org, transfer_id), sk=bag_sort_key(page=number, source=source, chunk=n),
                              entries=text)
        Tx().put(item, condition=BagEntriesItem.pk.does_not_exist() | (BagEntriesItem.entries == text),
                 on_fail=Conflict(f"Page {number}'s {source} entries were recorded otherwise before.")).run()


def iter_entries(sender_org: str, transfer_id: str) -> Iterator[tuple[int, Entry]]:
    """(page, entry) for every payload entry of the bag, page by page (one table page in memory at a time)."""
    result = BagEntriesItem.query(bag_key(sender_org, transfer_id), limit=None, page_size=20)
    for item in read(lambda: iter(result)):
        number = int(item.sk.split("#", 1)[0])
        for path, sha256, size in json.loads(item.entries):
            yield number, Entry(path, sha256, int(size))


# -------------------------------------------------------------------- claims
def release_claims(org_id: str, transfer_id: str, file_ids: Iterable[str]) -> None:
    """The transfer lets go of its files (nothing to undo where it holds none)."""
    file_ids = list(file_ids)
    for start in range(0, len(file_ids), 50):
        tx = Tx()
        for file_id in file_ids[start:start + 50]:
            tx.delete(ClaimItem(pk=org_key(org_id), sk=claim_sort_key(file_id)),
                      condition=ClaimItem.pk.does_not_exist() | (ClaimItem.transfer_id == transfer_id))
        try:
            tx.run()
        except Conflict:  # one of them is another transfer's now: release the rest one by one
            for file_id in file_ids[start:start + 50]:
                try:
                    Tx().delete(ClaimItem(pk=org_key(org_id), sk=claim_sort_key(file_id)),
                                condition=ClaimItem.pk.does_not_exist() | (ClaimItem.transfer_id == transfer_id)).run()
                except Conflict:
                    continue
