"""The destruction saga's step on the stacks (disposal's DestructionStateMachine): `destroy_contents`.

Records has destroyed a page of files; here they leave the boxes that held them. A box left
with no files is destroyed: its placement removed (the home shelf's counters go down in the
same conditional write as a removal's), status `destroyed` (final), a history entry naming the
run, who executed it and the supervising official (law art. 27③). Each box changes in one
transaction with its events and the run's ledger entries (one per file), so the step is
idempotent per run: a retry finds the files gone from the boxes and answers from the ledger
what the first run did. The step is irreversible and refuses nothing a retry could fix: the
saga retries it until it succeeds.
"""
from __future__ import annotations

from typing import Any

from shared.events import now_iso, system_actor
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import boxes as store
from ..data import ledgers as ledger_store
from ..data.boxes import ShelfChange
from ..domain import status as transitions
from ..domain.model import shelf_location
from .common import box_subject, event, file_page, location_subject, supervisor_of

ATTEMPTS = 8
STEP = "destroy_contents"


def destroy_contents(org_id: str, run_id: str, file_ids: Any, supervisor: Any, executed_by: str | None = None,
                     execution_id: str | None = None) -> dict[str, Any]:
    """{"boxes": [{"box_id", "barcode", "files_destroyed", "box_destroyed"}]}: every box of the
    organisation that held any of these files, as this run left it."""
    files = file_page(STEP, file_ids)
    official = supervisor_of(STEP, supervisor)
    wanted = frozenset(files)
    for box in store.boxes_holding(org_id, files):
        if box.status not in transitions.FINAL:
            _empty(org_id, box.id, run_id, wanted, official, executed_by, execution_id)
    return _answer(org_id, run_id, files)


def _empty(org_id: str, box_id: str, run_id: str, wanted: frozenset[str], supervisor: dict[str, Any],
           executed_by: str | None, execution_id: str | None) -> None:
    def attempt() -> None:
        box = store.get_box(org_id, box_id, consistent=True)
        if box is None or box.status in transitions.FINAL:
            return
        leaving, kept, emptied = transitions.destroy_contents(box.files, wanted)
        if not leaving:
            return  # another run of this step got there first
        stamp = now_iso()
        particulars = {"run_id": run_id, "executed_by": executed_by, "supervisor": supervisor}
        after = box.with_changes(files=kept, version=box.version + 1, updated_at=stamp)
        if emptied:
            after = after.with_changes(status="destroyed", home=None, current=None, loan_id=None, transfer=None,
                                       disposition={"kind": "destroyed", **particulars, "at": stamp})
        subjects = [box_subject(org_id, box.id)]
        if box.home is not None:
            subjects.append(location_subject(org_id, box.home.shelf_id))
        actor = system_actor(org_id, run_id=run_id, execution_id=execution_id, executed_by=executed_by)
        contents = event("BoxContentsDestroyed", subjects, {
            "box_id": box.id, "run_id": run_id, "file_ids": list(leaving), "supervisor": supervisor,
            "executed_by": executed_by, "box": after.public()}, actor)
        more, shelves = [], []
        if emptied:
            more.append(event("BoxDestroyed", subjects, {
                "box_id": box.id, "run_id": run_id, "location_id": box.home.shelf_id if box.home else None,
                "supervisor": supervisor, "executed_by": executed_by, "box": after.public()}, actor))
            if box.home is not None:
                shelves.append(ShelfChange(box.home.shelf_id, -1, box.home, box.arrangement_key))
        source = (shelf_location(box.home.shelf_id) if box.home else box.current) if emptied else None
        entries = store.history_entries(
            org_id, box, "destroyed" if emptied else "contents_destroyed", source, None, stamp,
            executed_by or f"saga:{execution_id or run_id}", _reason(run_id, len(leaving), emptied, executed_by,
                                                                     supervisor),
            (more[0] if emptied else contents).id, detail={**particulars, "file_ids": list(leaving)})
        ledger = [ledger_store.run_entry(org_id, run_id, file_id, box.id,
                                    {"file_id": file_id, "barcode": box.barcode, "box_destroyed": emptied}, stamp) for file_id in leaving]
        store.save_box(after, box, contents, more_events=more, shelves=shelves, entries=entries, ledger=ledger)

    # a concurrent change of the box (another page of the run, a placement) got there first: decide again
    retrying(attempt, attempts=ATTEMPTS, lost=(PreconditionFailed, ledger_store.LedgerRecorded),
             contended=f"Box {box_id} kept changing; {STEP} did not complete.")


def _reason(run_id: str, files: int, emptied: bool, executed_by: str | None, supervisor: dict[str, Any]) -> str:
    official = supervisor["name"] + (f" ({supervisor['title']})" if supervisor.get("title") else "")
    what = "its last record files destroyed: the box is destroyed" if emptied else f"{files} record file(s) destroyed"
    return (f"Destruction run {run_id}: {what}; executed by {executed_by or 'the destruction saga'}, "
            f"supervised by {official}.")


def _answer(org_id: str, run_id: str, files: tuple[str, ...]) -> dict[str, Any]:
    """What the run did to the boxes holding these files, from its ledger (the same answer on a retry)."""
    boxes: dict[str, dict[str, Any]] = {}
    for entry in ledger_store.run_entries(org_id, run_id, files):
        box = boxes.setdefault(entry.box_id, {"box_id": entry.box_id, "barcode": entry.data["barcode"],
                                              "files_destroyed": [], "box_destroyed": False})
        box["files_destroyed"].append(entry.data["file_id"])
        box["box_destroyed"] = box["box_destroyed"] or bool(entry.data["box_destroyed"])
    return {"boxes": [boxes[b] for b in sorted(boxes)]}
