"""Saga steps the check-out workflow (circulation) runs against the stacks.

    reserve_box ──▶ check_out_box ──▶ … ──▶ return_box
        │ compensation: release_box

Every step is keyed by the loan id: it runs once, and a retry answers what the first run
answered (a receipt item is written in the same transaction as the change). The box
changes with a conditional write on the version that was read, so among any number of
concurrent reservations exactly one wins; the others see the box reserved and are refused
(`BoxNotAvailable`, a business rejection the saga must not retry). The compensation
`release_box` tolerates "nothing to undo" and leaves a receipt, and a reservation arriving
after its loan was released is refused, so a late retry cannot strand a box. A step that
keeps losing races raises shared.tasks' `StepContended` (transient: the saga retries it).
"""
from __future__ import annotations

from typing import Any, Callable

from shared.events import now_iso, system_actor
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import boxes as store
from ..domain import status as transitions
from ..domain.model import DESTINATION_KINDS, Box, shelf_location
from .common import box_subject, event, location_subject

ATTEMPTS = 8

class BoxNotAvailable(Exception):
    """Business rejection: the box cannot take this step (reserved for another loan, missing, ...)."""


class BoxNotFound(Exception):
    """Business rejection: no such box in the organisation."""


def _run(step: str, org_id: str, box_id: str, loan_id: str, decide: Callable[[Box], str],
         change: Callable[[Box], tuple[Box, str, dict[str, Any] | None, dict[str, Any] | None]],
         execution_id: str | None, unless: str | None = None) -> dict[str, Any]:
    """Read, decide, write once; on a lost race read again. Returns the step's (recorded) result."""
    def attempt() -> dict[str, Any]:
        recorded = store.get_receipt(org_id, box_id, loan_id, step)
        if recorded is not None:
            return {**recorded, "already": True}
        box = store.get_box(org_id, box_id, consistent=True)
        if box is None:
            raise BoxNotFound(f"No box {box_id} in organisation {org_id}.")
        if unless and store.get_receipt(org_id, box_id, loan_id, unless) is not None:
            raise BoxNotAvailable(f"Loan {loan_id} was already released; it cannot reserve again.")
        try:
            verdict = decide(box)
        except transitions.TransitionRefused as exc:
            raise BoxNotAvailable(str(exc)) from None
        stamp = now_iso()
        try:
            if verdict == "already":
                result = _result(box, step, loan_id, changed=False)
                store.record_receipt(box, loan_id, step, result, stamp)
                return {**result, "already": True}
            after, type_, source, target = change(box)
            after = after.with_changes(version=box.version + 1, updated_at=stamp)
            result = _result(after, step, loan_id, changed=True)
            subjects = [box_subject(org_id, box.id)]
            if box.home is not None:
                subjects.append(location_subject(org_id, box.home.shelf_id))
            actor = system_actor(org_id, loan_id=loan_id, execution_id=execution_id)
            ev = event(type_, subjects, {"box": after.public(), "loan_id": loan_id, "from": source, "to": target},
                       actor)
            entries = (store.history_entries(org_id, box, step.removesuffix("_box"), source, target, stamp,
                                             f"saga:{execution_id or loan_id}", None, ev.id, loan_id)
                       if source != target else [])
            store.save_box(after, box, ev, entries=entries, receipt=(loan_id, step, result),
                           unless_step=(loan_id, unless) if unless else None)
            return {**result, "already": False}
        except store.StepUndone as exc:
            raise BoxNotAvailable(str(exc)) from None

    # another run of this step, or another change, got there first: decide again
    return retrying(attempt, attempts=ATTEMPTS, lost=(store.StepAlreadyRecorded, PreconditionFailed),
                    contended=f"Box {box_id} kept changing; {step} did not complete.")


def _result(box: Box, step: str, loan_id: str, changed: bool) -> dict[str, Any]:
    return {"step": step, "box_id": box.id, "loan_id": loan_id, "status": box.status, "changed": changed,
            "current_location": box.current, "home_location_id": box.home.shelf_id if box.home else None}


def reserve_box(org_id: str, box_id: str, loan_id: str, execution_id: str | None = None) -> dict[str, Any]:
    def change(box: Box):
        return box.with_changes(status="reserved", loan_id=loan_id), "BoxReserved", None, None

    return _run("reserve_box", org_id, box_id, loan_id, lambda b: transitions.reserve(b.status, b.loan_id, loan_id),
                change, execution_id, unless="release_box")


def release_box(org_id: str, box_id: str, loan_id: str, execution_id: str | None = None) -> dict[str, Any]:
    def change(box: Box):
        return box.with_changes(status="shelved", loan_id=None), "BoxReservationReleased", None, None

    return _run("release_box", org_id, box_id, loan_id, lambda b: transitions.release(b.status, b.loan_id, loan_id),
                change, execution_id)


def check_out_box(org_id: str, box_id: str, loan_id: str, destination: dict[str, Any],
                  execution_id: str | None = None) -> dict[str, Any]:
    if destination.get("kind") not in DESTINATION_KINDS:
        raise BoxNotAvailable(f"Unknown destination kind {destination.get('kind')!r}; one of {', '.join(DESTINATION_KINDS)}.")
    target = {"kind": destination["kind"], "name": destination.get("name"), "loan_id": loan_id}

    def change(box: Box):
        source = box.current or (shelf_location(box.home.shelf_id) if box.home else None)
        return box.with_changes(status="checked_out", current=target), "BoxCheckedOut", source, target

    return _run("check_out_box", org_id, box_id, loan_id,
                lambda b: transitions.check_out(b.status, b.loan_id, loan_id), change, execution_id)


def return_box(org_id: str, box_id: str, loan_id: str, execution_id: str | None = None) -> dict[str, Any]:
    def change(box: Box):
        home = shelf_location(box.home.shelf_id) if box.home else None
        return (box.with_changes(status="shelved", current=home, loan_id=None), "BoxReturned", box.current, home)

    return _run("return_box", org_id, box_id, loan_id,
                lambda b: transitions.return_home(b.status, b.loan_id, loan_id), change, execution_id)
