"""Review lists (폐기 심의 대상) and each listed file's three steps (keys: see tables.py).

A list and the files it takes are written together: each file's read model says which list holds it (so it
leaves the due index and no second list takes it), conditional on the file as read.
"""
from __future__ import annotations

from typing import Iterable

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.model import FileReview, FileView, ReviewList
from .files import stage_file
from .tables import FileReviewItem, ReviewListItem, file_sort_key, list_key, list_sort_key, org_key
from .tx import Tx, page, read

CHUNK = 40  # files per transaction: a list entry and the file's read model each (DynamoDB takes 100 operations)


def get_list(org_id: str, list_id: str, consistent: bool = False) -> ReviewList | None:
    try:
        return read(ReviewListItem.get, org_key(org_id), list_sort_key(list_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_lists(org_id: str, limit: int, cursor: str | None):
    return page(ReviewListItem, org_key(org_id), list_sort_key(""), limit, cursor)


def add_files(review_list: ReviewList, new: bool, files: Iterable[tuple[FileView, FileReview]],
              events: Iterable[DomainEvent]) -> None:
    """One transaction: the list (created, or its count raised), an entry per file, each file marked listed."""
    files = list(files)
    tx = Tx()
    if new:
        tx.put(ReviewListItem.of(review_list.with_changes(file_count=len(files))),
               condition=ReviewListItem.pk.does_not_exist(), on_fail=Conflict("That review list exists."))
    else:
        tx.update(ReviewListItem(pk=org_key(review_list.org_id), sk=list_sort_key(review_list.id)),
                  [ReviewListItem.file_count.add(len(files))], condition=ReviewListItem.pk.exists(),
                  on_fail=stale("review list"))
    for before, entry in files:
        stage_file(tx, before.with_changes(listed_in=review_list.id), before)
        tx.put(FileReviewItem.of(entry), condition=FileReviewItem.pk.does_not_exist(),
               on_fail=Conflict(f"File {entry.file_id} is already in the list."))
    for event in events:
        tx.event(event)
    tx.run()


def get_entry(org_id: str, list_id: str, file_id: str, consistent: bool = False) -> FileReview | None:
    try:
        item = read(FileReviewItem.get, list_key(org_id, list_id), file_sort_key(file_id), consistent_read=consistent)
    except DoesNotExist:
        return None
    return item.entity(org_id=org_id, list_id=list_id)


def list_entries(org_id: str, list_id: str, limit: int, cursor: str | None):
    return page(FileReviewItem, list_key(org_id, list_id), file_sort_key(""), limit, cursor,
                convert=lambda item: item.entity(org_id=org_id, list_id=list_id))


def save_entry(after: FileReview, before: FileReview, event: DomainEvent,
               file: tuple[FileView, FileView] | None = None) -> None:
    """A step on a listed file (conditional on the entry as read), its event, and what it changes of the file."""
    tx = Tx().put(FileReviewItem.of(after), condition=FileReviewItem.version == before.version,
                  on_fail=stale("listed file"))
    if file is not None:
        file_after, file_before = file
        stage_file(tx, file_after, file_before)
    tx.event(event).run()
