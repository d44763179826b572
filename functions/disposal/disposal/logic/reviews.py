"""Review lists (폐기 심의 대상): the daily job that lists files falling due, per producing unit; lists a
records professional builds by hand; reading lists and their files."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.events import now_iso, system_actor
from shared.idempotency import derived_id
from shared.problems import Conflict, PreconditionFailed

from ..data import files as files_store
from ..data import holds as holds_store
from ..data import reviews as store
from ..domain import rules
from ..domain.model import FileReview, FileView, ReviewList
from ..domain.access import professional_org, reader_org
from ..domain.problems import FilesNotListable
from .common import event, file_subject, list_subject, refuse_if

MAX_MANUAL = store.CHUNK  # a list built by hand is one transaction


def _entry(review_list: ReviewList, file: FileView, stamp: str) -> FileReview:
    return FileReview(org_id=review_list.org_id, list_id=review_list.id, file_id=file.id, title=file.title,
                      producing_unit=file.producing_unit, class_code=file.class_code, retention=file.retention,
                      disposal_due=file.disposal_due, updated_at=stamp)


def _events(review_list: ReviewList, files: list[FileView], actor: dict[str, Any], created: bool) -> list:
    listed = [event("FileListedForReview", [file_subject(f.org_id, f.id), list_subject(f.org_id, review_list.id)],
                    {"file_id": f.id, "list_id": review_list.id, "disposal_due": f.disposal_due}, actor)
              for f in files]
    if created:
        listed.insert(0, event("ReviewListCreated", [list_subject(review_list.org_id, review_list.id)],
                               review_list.public(), actor))
    return listed


# ------------------------------------------------------------------------- job
def build_review_lists(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: every file due on or before today (Asia/Seoul), not held and in no list yet, goes into
    its producing unit's list of the day (one list per organisation, unit and day, so a repeated run adds
    to it and lists nothing twice). A held file stays due and is looked at again the next day."""
    day = date.fromisoformat(today) if today else clock.today()
    found: dict[tuple[str, str | None], list[FileView]] = defaultdict(list)
    holds: dict[str, list] = {}
    start, due, held = None, 0, 0
    while True:
        files, start = files_store.due_files(day.isoformat(), limit, start)
        for file in files:
            due += 1
            if file.org_id not in holds:
                holds[file.org_id] = holds_store.active_holds(file.org_id)
            if rules.holds_on(holds[file.org_id], file.id, file):
                held += 1
                continue
            found[(file.org_id, file.producing_unit)].append(file)
        if not start:
            break
    lists: list[str] = []
    for (org_id, unit), files in found.items():
        list_id = derived_id(f"review-list|{org_id}|{unit}", day.isoformat())
        review_list = ReviewList(org_id=org_id, id=list_id, title=f"{unit or 'Unknown unit'} — due {day.isoformat()}",
                                 producing_unit=unit, origin="scheduled", file_count=0, created_by="system",
                                 created_at=now_iso(), as_of=day.isoformat())
        new = store.get_list(org_id, list_id, consistent=True) is None
        for i in range(0, len(files), store.CHUNK):
            chunk = files[i:i + store.CHUNK]
            stamp = now_iso()
            try:
                store.add_files(review_list, new, [(f, _entry(review_list, f, stamp)) for f in chunk],
                                _events(review_list, chunk, system_actor(org_id), new))
            except (PreconditionFailed, Conflict):
                continue  # a file changed meanwhile: it stays due, the next run lists it
            new = False
        if not new:
            lists.append(list_id)
    return {"due": due, "held": held, "lists": lists}


# ------------------------------------------------------------------ by hand
def create_list(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> ReviewList:
    """A records professional lists closed files by hand (due or not yet); each refused file is named."""
    org_id = professional_org(caller)
    file_ids = list(dict.fromkeys(body["file_ids"]))
    holds = holds_store.active_holds(org_id)
    files, errors = [], []
    for i, file_id in enumerate(file_ids):
        file = files_store.get_file(org_id, file_id, consistent=True)
        problem = rules.listable_error(file, bool(rules.holds_on(holds, file_id, file)))
        if problem:
            errors.append({"field": f"file_ids.{i}", "message": f"{file_id}: {problem}"})
        else:
            files.append(file)
    refuse_if(errors, FilesNotListable)
    stamp = now_iso()
    review_list = ReviewList(org_id=org_id, id=derived_id(f"review-list|{org_id}|{caller.user_id}", idempotency_key),
                             title=body["title"], producing_unit=body.get("producing_unit"), origin="manual",
                             file_count=len(files), created_by=caller.user_id, created_at=stamp,
                             as_of=clock.today().isoformat())
    store.add_files(review_list, True, [(f, _entry(review_list, f, stamp)) for f in files],
                    _events(review_list, files, caller.as_actor(), True))
    return review_list


# ----------------------------------------------------------------------- reads
def get_list(caller: Caller, list_id: str) -> ReviewList:
    return require_found(store.get_list(reader_org(caller), list_id), "review list")


def list_lists(caller: Caller, limit: int, cursor: str | None):
    return store.list_lists(reader_org(caller), limit, cursor)


def list_entries(caller: Caller, list_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_list(org_id, list_id), "review list")
    return store.list_entries(org_id, list_id, limit, cursor)


def get_entry(caller: Caller, list_id: str, file_id: str) -> FileReview:
    return require_found(store.get_entry(reader_org(caller), list_id, file_id), "listed file")
