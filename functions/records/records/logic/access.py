"""Access classification (공개구분) of files and items: changes by records professionals, the re-review
tasks opened every 5 years for non-public files, and the 30-year rule (scheduled jobs)."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso, system_actor
from shared.idempotency import derived_id
from shared.problems import Conflict, PreconditionFailed

from ..data import files as store
from ..domain import access as access_rules
from ..domain import destruction as destruction_rules
from ..domain import lifecycle
from ..domain.access import overseer_org, professional_org
from ..domain.model import Access, AccessReview, Item, RecordFile
from ..domain.problems import FileStateConflict
from .common import event, item_subject, refuse_if, subjects_of
from .files import access_from, file_of
from .items import item_of

ITEMS_PER_WRITE = 50  # item and event per item: 100 operations per transaction


def _review_done(file: RecordFile, outcome: str, note: str | None, by: str) -> tuple[AccessReview, AccessReview] | None:
    """(before, after) of the file's open review, completed; None when it has none."""
    if file.review_task_id is None:
        return None
    before = store.get_review(file.org_id, file.review_task_id, consistent=True)
    if before is None or before.status != "open":
        return None
    stamp = now_iso()
    return before, before.with_changes(status="done", outcome=outcome, note=note, completed_by=by, completed_at=stamp,
                                       version=before.version + 1, updated_at=stamp)


def change_file_access(caller: Caller, file_id: str, body: dict[str, Any], expected_version: int) -> RecordFile:
    """A records professional reclassifies a file (with a reason); an open re-review of it is done with this."""
    org_id = professional_org(caller)
    before = file_of(org_id, file_id, consistent=True)
    require_version(before, expected_version, "file")
    destruction_rules.refuse_while_marked(before, "a change of its access")
    if not lifecycle.editable(before.status):
        raise FileStateConflict(f"A {before.status} file's access is no longer records' to change.")
    errors: list[dict[str, Any]] = []
    access = access_from(body, Access(), clock.today(), errors, access_rules.FILE_REDACTABLE, prefix="")
    refuse_if(errors)
    review = _review_done(before, "changed", body["reason"], caller.user_id)
    after = before.with_changes(access=access, review_task_id=None, version=before.version + 1, updated_at=now_iso())
    changed = event("AccessChanged", subjects_of(after),
                    {"file_id": file_id, "previous": before.access.public(), "access": access.public(),
                     "reason": body["reason"], "review_id": review[1].id if review else None}, caller.as_actor())
    store.save_file(after, before, [changed], review=review[1] if review else None,
                    review_before=review[0] if review else None)
    return after


def change_item_access(caller: Caller, file_id: str, item_id: str, body: dict[str, Any],
                       expected_version: int) -> Item:
    org_id = professional_org(caller)
    file = file_of(org_id, file_id)
    before = item_of(org_id, file_id, item_id, consistent=True)
    require_version(before, expected_version, "item")
    destruction_rules.refuse_while_marked(file, "a change of an item's access")
    if not lifecycle.editable(file.status):
        raise FileStateConflict(f"A {file.status} file's items are no longer records' to change.")
    errors: list[dict[str, Any]] = []
    access = access_from(body, Access(), clock.today(), errors, access_rules.ITEM_REDACTABLE, prefix="")
    refuse_if(errors)
    after = before.with_changes(access=access, version=before.version + 1, updated_at=now_iso())
    store.save_item(after, before, event("ItemAccessChanged", subjects_of(file, item_subject(org_id, item_id)),
                                         {"file_id": file_id, "item_id": item_id, "previous": before.access.public(),
                                          "access": access.public(), "reason": body["reason"]}, caller.as_actor()))
    return after


# -------------------------------------------------------------------- reviews
def list_reviews(caller: Caller, status: str, limit: int, cursor: str | None):
    return store.list_reviews(overseer_org(caller), status, limit, cursor)


def get_review(caller: Caller, review_id: str) -> AccessReview:
    return require_found(store.get_review(overseer_org(caller), review_id), "access review")


def complete_review(caller: Caller, review_id: str, body: dict[str, Any], expected_version: int) -> AccessReview:
    """The archivist keeps the file's classification after re-reviewing it: the next review is 5 years after
    this one was due (or after today, if done late).
    (Changing the classification instead completes the review too.)"""
    org_id = professional_org(caller)
    review_before = require_found(store.get_review(org_id, review_id, consistent=True), "access review")
    require_version(review_before, expected_version, "access review")
    if review_before.status != "open":
        raise Conflict("That review is done already.")
    before = file_of(org_id, review_before.file_id, consistent=True)
    stamp = now_iso()
    review = review_before.with_changes(status="done", outcome="kept", note=body["note"], completed_by=caller.user_id,
                                        completed_at=stamp, version=review_before.version + 1, updated_at=stamp)
    # five years from the review's due date, or from today when it was done late
    reviewed_on = max(clock.today(), date.fromisoformat(review_before.due_on))
    access = Access(before.access.classification, before.access.grounds, before.access.closed_fields,
                    access_rules.next_review(reviewed_on), before.access.extended_until)
    after = before.with_changes(access=access, review_task_id=None, version=before.version + 1, updated_at=stamp)
    completed = event("AccessReviewCompleted", subjects_of(after),
                      {"file_id": after.id, "review_id": review.id, "outcome": "kept", "note": body["note"],
                       "next_review_on": access.review_on}, caller.as_actor())
    store.save_file(after, before, [completed], review=review, review_before=review_before)
    return review


# ----------------------------------------------------------------------- jobs
def _day(today: str | None) -> date:
    return date.fromisoformat(today) if today else clock.today()


def open_due_reviews(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: a review task for every non-public file whose re-review is due (one per file and due
    date, so a repeated run opens nothing twice)."""
    day = _day(today)
    opened, start, seen = [], None, 0
    while True:
        due, start = store.due_reviews(day.isoformat(), limit, start)
        for before in due:
            seen += 1
            stamp = now_iso()
            review = AccessReview(org_id=before.org_id, id=derived_id(f"review|{before.org_id}|{before.id}",
                                                                       before.access.review_on),
                                  file_id=before.id, file_title=before.title, due_on=before.access.review_on,
                                  classification=before.access.classification, created_at=stamp, updated_at=stamp)
            after = before.with_changes(review_task_id=review.id, version=before.version + 1, updated_at=stamp)
            try:
                store.save_file(after, before, [event("AccessReviewOpened", subjects_of(after),
                                                      {"file_id": after.id, "review_id": review.id,
                                                       "due_on": review.due_on,
                                                       "classification": review.classification},
                                                      system_actor(before.org_id))], review=review)
                opened.append(review.id)
            except (PreconditionFailed, Conflict):
                continue  # changed meanwhile (or another run got there first): the next run sees it
        if not start:
            break
    return {"due": seen, "opened": opened}


def open_after_thirty_years(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: non-public files 30 years after their production year (or at their recorded extension)
    become open, and so do their items; each change is an event."""
    day = _day(today)
    opened, start, seen = [], None, 0
    while True:
        due, start = store.due_openings(day.isoformat(), limit, start)
        for before in due:
            seen += 1
            try:
                _open_by_rule(before, day)
                opened.append(before.id)
            except (PreconditionFailed, Conflict):
                continue
        if not start:
            break
    return {"due": seen, "opened": opened}


def _open_by_rule(before: RecordFile, day: date) -> None:
    actor = system_actor(before.org_id, job="open_after_thirty_years")
    review = _review_done(before, "opened_by_thirty_year_rule", None, "system")
    # The items first: a retried run finds the file still due and completes what a crash left.
    changes = []
    for item in store.all_items(before.org_id, before.id):
        if item.access.is_open:
            continue
        after_item = item.with_changes(access=Access("open"), version=item.version + 1, updated_at=now_iso())
        changes.append((after_item, item, event("ItemAccessChanged",
                                                subjects_of(before, item_subject(item.org_id, item.id)),
                                                {"file_id": before.id, "item_id": item.id,
                                                 "previous": item.access.public(), "access": after_item.access.public(),
                                                 "reason": "thirty_year_rule"}, actor)))
        if len(changes) == ITEMS_PER_WRITE:
            store.save_items(changes)
            changes = []
    if changes:
        store.save_items(changes)
    after = before.with_changes(access=Access("open"), review_task_id=None, version=before.version + 1,
                                updated_at=now_iso())
    store.save_file(after, before, [event("AccessChanged", subjects_of(after),
                                          {"file_id": after.id, "previous": before.access.public(),
                                           "access": after.access.public(), "reason": "thirty_year_rule",
                                           "opened_on": day.isoformat(),
                                           "review_id": review[1].id if review else None}, actor)],
                    review=review[1] if review else None, review_before=review[0] if review else None)
