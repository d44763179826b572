"""The steps of the check-out and return sagas (check_out.asl.json, return.asl.json), on circulation's side.

Every step is keyed by the loan id and safe to repeat; a compensation tolerates "nothing to
undo". A read-decide-write step that keeps losing races raises shared.tasks' `StepContended`
(transient: the saga retries it); `StepRefused` is a business rejection, never retried.
"""
from __future__ import annotations

import json
from typing import Any

from shared.events import now_iso
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import loans as store
from ..domain import lifecycle, rules
from ..domain.model import Request
from ..domain.queue import box_held
from .common import STEP_ATTEMPTS, request_event, saga_actor
from .queue import promote_next
from .register import register_entry


class StepRefused(Exception):
    """Business rejection: the request is not where this step expects it (the saga must not retry)."""


def _saga_request(loan: dict[str, Any]) -> Request:
    request = store.get_request(loan["org_id"], loan["request_id"], consistent=True)
    if request is None:
        raise StepRefused(f"No request {loan['request_id']} in {loan['org_id']}.")
    return request


def _ours(request: Request, loan: dict[str, Any]) -> bool:
    return request.loan_id == loan["id"]


def _retrying(run):
    """Run a read-decide-write step again when a concurrent change beat its conditional write."""
    return retrying(run, attempts=STEP_ATTEMPTS, lost=(PreconditionFailed,),
                    contended="The request kept changing; the step did not complete.")


def step_check_parties(loan: dict[str, Any]) -> dict[str, Any]:
    request = _saga_request(loan)
    if not _ours(request, loan) or request.status not in ("checking_out", "checked_out"):
        raise StepRefused(f"Request {request.id} is {request.status} (loan {request.loan_id}), not checking out "
                          f"loan {loan['id']}.")
    rules.check_parties(request, store.get_policy(request.org_id))
    return {"requester": request.requester.user_id, "approver": request.approver.user_id if request.approver else None}


def step_record_loan(loan: dict[str, Any]) -> dict[str, Any]:
    """Record the loan (register entry, LoanCheckedOut) before the box moves; the request stays
    checking_out until step_complete_check_out."""
    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if _ours(request, loan) and (request.status in ("checked_out", "returning", "returned")
                                     or (request.status == "checking_out" and request.checked_out_at)):
            return {"status": request.status, "already": True}
        if not _ours(request, loan) or request.status != "checking_out":
            raise StepRefused(f"Request {request.id} is {request.status}; loan {loan['id']} cannot be recorded.")
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("record_loan", request.status), checked_out_at=stamp,
                                     version=request.version + 1, updated_at=stamp)
        entry = register_entry(after, "check_out", stamp, after.checked_out_by or "system")
        store.save_request(after, request, request_event("LoanCheckedOut", after, {"loan_id": after.loan_id,
                                                                           "due": after.due},
                                                         saga_actor(after)), entries=[entry])
        return {"status": after.status, "already": False}

    return _retrying(run)


def step_complete_check_out(loan: dict[str, Any]) -> dict[str, Any]:
    """The last step, after stacks moved the box: only now does the request say checked_out.
    The box is out, so this step is never compensated: it is retried, and the reconcile job
    finishes a saga that stopped before it (every earlier step answers "already")."""
    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if _ours(request, loan) and request.status in ("checked_out", "returning", "returned"):
            return {"status": request.status, "already": True}
        if not _ours(request, loan) or request.status != "checking_out":
            raise StepRefused(f"Request {request.id} is {request.status}; loan {loan['id']} cannot be completed.")
        if not request.checked_out_at:
            step_record_loan(loan)
            request = _saga_request(loan)
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("complete_check_out", request.status),
                                     version=request.version + 1, updated_at=stamp)
        store.save_request(after, request, request_event("CheckOutCompleted", after, {"loan_id": after.loan_id},
                                                         saga_actor(after)))
        return {"status": after.status, "already": False}

    return _retrying(run)


def _stacks_says(release: dict[str, Any] | None, loan_id: str) -> tuple[bool, bool]:
    """From release_box's answer: (out for this loan, held for another loan)."""
    if not release:
        return False, False
    status = release.get("status")
    current = release.get("current_location") or {}
    if status == "checked_out":
        mine = current.get("loan_id") == loan_id
        return mine, not mine
    # release changes nothing when the box is reserved for another loan; when it was ours, it is shelved now
    return False, status == "reserved" and release.get("changed") is False


def step_abandon_check_out(loan: dict[str, Any], error: dict[str, Any] | None,
                           release: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: put the request back (approved, or queued when another request holds the box).

    Runs after stacks' release_box, whose answer settles what really happened: if the box is out
    for this very loan, the check-out committed and only its answer was lost — nothing is undone.
    Tolerates "nothing to undo" (the request already moved on)."""
    out_for_us, held_in_stacks = _stacks_says(release, loan["id"])

    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if not _ours(request, loan) or request.status not in ("checking_out", "checked_out"):
            return {"outcome": request.status if _ours(request, loan) else "superseded", "already": True}
        if out_for_us:
            if request.status == "checking_out":
                step_complete_check_out(loan)
            return {"outcome": "checked_out", "already": request.status == "checked_out"}
        holders, waiting = store.box_slots(request.org_id, request.box_id)
        held = held_in_stacks or box_held(holders, request.id, waiting)
        stamp = now_iso()
        failure = (error or {}).get("Error", "CheckOutFailed")
        cause = str((error or {}).get("Cause", ""))[:500]
        # First come, first served: a request that lost the race for the box queues from when it asked
        # for it (its last change: the check-out's start), ahead of those who asked while it was racing.
        after = request.with_changes(status=lifecycle.target("abandon_check_out", request.status, box_held=held),
                                     last_failure=f"{failure}: {_cause_text(cause)}".strip().rstrip(":"),
                                     queued_at=request.updated_at if held else None, checked_out_at=None,
                                     version=request.version + 1, updated_at=stamp)
        entries = ([register_entry(after, "check_out_cancelled", stamp, "system", reason=failure)]
                   if request.status == "checked_out" or request.checked_out_at else [])  # the loan was recorded
        store.save_request(after, request, request_event("CheckOutAbandoned", after, {"loan_id": loan["id"],
                                                                             "error": failure, "queued": held},
                                                         saga_actor(request)),
                           release=True, enqueue=held, entries=entries)
        return {"outcome": after.status, "already": False, "held": held}

    result = _retrying(run)
    if result["outcome"] in ("approved", "queued"):
        promote_next(loan["org_id"], loan["box_id"])
    return result


def _cause_text(cause: str) -> str:
    """A Lambda error's Cause is a JSON document; keep its message."""
    try:
        return str(json.loads(cause).get("errorMessage", cause))[:300]
    except (ValueError, AttributeError):
        return cause[:300]


# ---------------------------------------------------------- saga: return steps
def step_record_return(loan: dict[str, Any]) -> dict[str, Any]:
    request = _saga_request(loan)
    if _ours(request, loan) and request.status == "returned":
        return {"status": "returned", "already": True}
    if not _ours(request, loan) or request.status != "returning":
        raise StepRefused(f"Request {request.id} is {request.status}; its return cannot be recorded.")
    entry = register_entry(request, "return", request.return_started_at or request.updated_at,
                           request.returned_by or "system")
    try:
        store.record_return(request, entry, request_event("ReturnRecorded", request, {"loan_id": loan["id"]},
                                                          saga_actor(request)))
    except store.AlreadyRecorded:
        return {"status": "returning", "already": True}
    return {"status": "returning", "already": False}


def step_reopen_loan(loan: dict[str, Any], error: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: the box did not come home; the request is checked out again. Tolerates nothing to undo."""
    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if not _ours(request, loan) or request.status != "returning":
            return {"outcome": request.status, "already": True}
        stamp = now_iso()
        failure = (error or {}).get("Error", "ReturnFailed")
        entries = []
        if store.return_recorded(request):
            entries.append(register_entry(request, "return_cancelled", stamp, "system", reason=failure))
        after = request.with_changes(status=lifecycle.target("reopen", request.status), return_started_at=None,
                                     returned_by=None, condition=None, condition_note=None,
                                     last_failure=f"{failure}: {_cause_text(str((error or {}).get('Cause', '')))}",
                                     version=request.version + 1, updated_at=stamp)
        failed = request_event("ReturnFailed", after, {"loan_id": loan["id"], "error": failure}, saga_actor(request))
        store.save_request(after, request, failed, entries=entries)
        return {"outcome": after.status, "already": False}

    return _retrying(run)


def step_close_loan(loan: dict[str, Any]) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if _ours(request, loan) and request.status == "returned":
            return {"status": "returned", "already": True}
        if not _ours(request, loan) or request.status != "returning":
            raise StepRefused(f"Request {request.id} is {request.status}; it cannot be closed.")
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("close", request.status), returned_at=stamp,
                                     version=request.version + 1, updated_at=stamp)
        store.save_request(after, request, request_event("LoanReturned", after, {"loan_id": loan["id"],
                                                                         "condition": after.condition},
                                                         saga_actor(request)), release=True)
        return {"status": "returned", "already": False}

    return _retrying(run)


def step_promote_next(loan: dict[str, Any]) -> dict[str, Any]:
    return {"promoted": promote_next(loan["org_id"], loan["box_id"])}
