"""Reads and conditional writes of files, items and access reviews (keys: see tables.py).

Every change is one transaction with its event (outbox): versions stop lost updates, the file's
status stops items being added to a closed file, a registration number or file reference is
claimed by a unique item in the same transaction, so two registrations never share one.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, InvalidCursor, ValidationFailed

from ..domain.model import AccessReview, FileBox, Item, RecordFile
from .classes import receipt
from .tables import (ACCESS_OPENS, ACCESS_REVIEW, FileBoxItem, FileItem, FileReferenceItem, ItemItem, ReceiptItem,
                     RegistrationItem, ReviewItem, box_sort_key, file_key, file_sort_key, item_sort_key, org_key,
                     receipt_key, reference_key, regno_key, review_sort_key, reviews_index_key)
from .tx import Tx, page, read


def _get(model, hash_key: str, range_key: str, consistent: bool = False):
    try:
        return read(model.get, hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def taken_number(number: str) -> ValidationFailed:
    return ValidationFailed(f"registration_number: {number} is already registered in your organisation.",
                            errors=[{"field": "registration_number", "message": "already registered"}])


def taken_reference(reference: str) -> ValidationFailed:
    return ValidationFailed(f"reference: {reference} already names a file of your organisation.",
                            errors=[{"field": "reference", "message": "already names a file"}])


# ----------------------------------------------------------------------- files
def get_file(org_id: str, file_id: str, consistent: bool = False) -> RecordFile | None:
    item = _get(FileItem, org_key(org_id), file_sort_key(file_id), consistent)
    return item.entity() if item else None


def file_by_reference(org_id: str, reference: str) -> str | None:
    item = _get(FileReferenceItem, reference_key(org_id, reference), "FILE", consistent=True)
    return item.file_id if item else None


def list_files(org_id: str, limit: int, cursor: str | None, *, status: str | None = None,
               class_code: str | None = None) -> tuple[list[RecordFile], str | None]:
    condition = None
    if status:
        condition = FileItem.status == status
    if class_code:
        condition = (FileItem.class_code == class_code) if condition is None else \
            condition & (FileItem.class_code == class_code)
    return page(FileItem, org_key(org_id), file_sort_key(""), limit, cursor, filter_condition=condition)


def add_file(tx: Tx, file: RecordFile, events: Iterable[DomainEvent]) -> Tx:
    """Stage a new file (and its reference's claim) with its events in `tx`."""
    tx.put(FileItem.of(file), condition=FileItem.pk.does_not_exist(), on_fail=Conflict("That file already exists."))
    if file.reference:
        tx.put(FileReferenceItem(pk=reference_key(file.org_id, file.reference), sk="FILE", file_id=file.id),
               condition=FileReferenceItem.pk.does_not_exist(), on_fail=taken_reference(file.reference))
    for event in events:
        tx.event(event)
    return tx


def create_file(file: RecordFile, events: Iterable[DomainEvent]) -> None:
    add_file(Tx(), file, events).run()


def check_file(tx: Tx, org_id: str, file_id: str, *, registered_by_job: str | None = None) -> Tx:
    """Stage the condition an item needs of its file: open, or (for a file a bulk registration registered)
    still there."""
    if registered_by_job:
        return tx.check(FileItem, org_key(org_id), file_sort_key(file_id),
                        FileItem.registered_by_job == registered_by_job,
                        on_fail=ValidationFailed("file_reference: the file's own row was not registered.",
                                                 errors=[{"field": "file_reference",
                                                          "message": "its file's row was rejected"}]))
    return tx.check(FileItem, org_key(org_id), file_sort_key(file_id), FileItem.status == "open",
                    on_fail=Conflict("The file is no longer open; a closed file takes no items."))


class AlreadyApplied(Exception):
    """The consumed event this change carries out was applied before (its receipt exists)."""


def applied(event_id: str) -> bool:
    return _get(ReceiptItem, receipt_key(event_id), "EVENT", consistent=True) is not None


def save_file(after: RecordFile, before: RecordFile, events: Iterable[DomainEvent],
              review: AccessReview | None = None, review_before: AccessReview | None = None,
              applying: tuple[str, str] | None = None) -> None:
    """The file's new version (conditional on the one read), its events, and the access review it opens or
    completes, if any; `applying` (event id, type): another capability's event this change carries out,
    whose receipt is written with it (AlreadyApplied when it exists)."""
    tx = Tx().put(FileItem.of(after), condition=(FileItem.version == before.version) &
                  (FileItem.status == before.status), on_fail=stale("file"))
    if applying is not None:
        tx.put(receipt(*applying), condition=ReceiptItem.pk.does_not_exist(), on_fail=AlreadyApplied())
    if review is not None:
        condition = (ReviewItem.pk.does_not_exist() if review_before is None
                     else ReviewItem.version == review_before.version)
        tx.put(ReviewItem.of(review), condition=condition, on_fail=stale("access review"))
    for event in events:
        tx.event(event)
    tx.run()


# ----------------------------------------------------------------------- items
def get_item(org_id: str, file_id: str, item_id: str, consistent: bool = False) -> Item | None:
    item = _get(ItemItem, file_key(org_id, file_id), item_sort_key(item_id), consistent)
    return item.entity(org_id=org_id, file_id=file_id) if item else None


def list_items(org_id: str, file_id: str, limit: int, cursor: str | None) -> tuple[list[Item], str | None]:
    return page(ItemItem, file_key(org_id, file_id), item_sort_key(""), limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, file_id=file_id))


def all_items(org_id: str, file_id: str) -> Iterator[Item]:
    """Every item of a file, page by page (exports, the 30-year rule)."""
    cursor = None
    while True:
        items, cursor = list_items(org_id, file_id, 100, cursor)
        yield from items
        if not cursor:
            return


def add_item(tx: Tx, item: Item, event: DomainEvent, *, check_open: bool = True) -> Tx:
    """Stage a new item, its registration number's claim and its event in `tx` (with the file still open,
    unless the caller checks that once for several items of one file)."""
    if check_open:
        check_file(tx, item.org_id, item.file_id)
    tx.put(ItemItem.of(item), condition=ItemItem.pk.does_not_exist(), on_fail=Conflict("That item already exists."))
    tx.put(RegistrationItem(pk=regno_key(item.org_id, item.registration_number), sk="ITEM", file_id=item.file_id,
                            item_id=item.id),
           condition=RegistrationItem.pk.does_not_exist(), on_fail=taken_number(item.registration_number))
    return tx.event(event)


def create_item(item: Item, event: DomainEvent) -> None:
    add_item(Tx(), item, event).run()


def save_item(after: Item, before: Item, event: DomainEvent) -> None:
    (Tx().put(ItemItem.of(after), condition=ItemItem.version == before.version, on_fail=stale("item"))
     .event(event).run())


def save_items(changes: list[tuple[Item, Item, DomainEvent]]) -> None:
    """Several items' new versions at once, with their events (at most 50 per call: two operations each)."""
    tx = Tx()
    for after, before, event in changes:
        tx.put(ItemItem.of(after), condition=ItemItem.version == before.version, on_fail=stale("item"))
        tx.event(event)
    tx.run()


def registered(org_id: str, number: str) -> RegistrationItem | None:
    return _get(RegistrationItem, regno_key(org_id, number), "ITEM", consistent=True)


# ----------------------------------------------------------------------- boxes
def boxes_of(org_id: str, file_id: str) -> list[FileBox]:
    result = FileBoxItem.query(file_key(org_id, file_id), FileBoxItem.sk.startswith(box_sort_key("")))
    return read(lambda: [i.entity(org_id=org_id, file_id=file_id) for i in result])


# --------------------------------------------------------------------- reviews
def get_review(org_id: str, review_id: str, consistent: bool = False) -> AccessReview | None:
    item = _get(ReviewItem, org_key(org_id), review_sort_key(review_id), consistent)
    return item.entity() if item else None


def list_reviews(org_id: str, status: str, limit: int, cursor: str | None):
    """Reviews of one status, soonest due first (the index keeps them by due date)."""
    index_pk = reviews_index_key(org_id, status)
    start = decode_cursor(cursor, expected={"gsi1pk": index_pk}, keys={"pk", "sk", "gsi1pk", "gsi1sk"})
    if start and start["pk"] != org_key(org_id):
        raise InvalidCursor("The cursor belongs to another listing.")
    result = ReviewItem.gsi1.query(index_pk, limit=limit, last_evaluated_key=typed_key(start))
    items = read(lambda: [i.entity() for i in result])
    return items, encode_cursor(result.last_evaluated_key)


# ------------------------------------------------------------------ due indexes
def _due(index, partition: str, today: str, limit: int, start: dict | None):
    result = index.query(partition, FileItem.gsi1sk <= f"{today}#~" if index is FileItem.gsi1
                         else FileItem.gsi2sk <= f"{today}#~", limit=limit, last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key


def due_reviews(today: str, limit: int, start: dict | None = None):
    """Non-public files of every organisation whose re-review is due on or before `today`."""
    return _due(FileItem.gsi1, ACCESS_REVIEW, today, limit, start)


def due_openings(today: str, limit: int, start: dict | None = None):
    """Non-public files of every organisation the 30-year rule opens on or before `today`."""
    return _due(FileItem.gsi2, ACCESS_OPENS, today, limit, start)
