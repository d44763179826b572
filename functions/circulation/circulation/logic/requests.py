"""Check-out requests (반출 신청): asking, deciding, cancelling, and starting the sagas that move the box."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared import clock
from shared.auth import Caller
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id, logger
from shared.problems import Conflict
from shared.tasks import StepContended

from ..data import loans as store
from ..domain import lifecycle, rules
from ..domain.model import Request
from ..domain.policy import check_approver, check_period, check_purpose, effective_retention
from ..domain.problems import UnknownBox
from ..domain.queue import box_held
from ..integration import workflows
from .common import request_event, visible_request
from .queue import promote_next

UNAVAILABLE_BOX_STATUSES = ("unplaced", "missing", "in_transfer", "destroyed", "transferred")


def create_request(caller: Caller, body: dict[str, Any], idempotency_key: str | None,
                   on: date | None = None) -> Request:
    org = rules.require_requester(caller)
    policy = store.get_policy(org)
    check_period(body["period"]["from"], body["period"]["until"], on or clock.today(), policy)
    facts = store.get_box_facts(org, body["box_id"])
    if facts is None:
        raise UnknownBox("Circulation knows no box with that id in your organisation (new boxes appear within "
                         "seconds of their registration in the stacks).",
                         errors=[{"field": "box_id", "message": "unknown box"}])
    if facts.status in UNAVAILABLE_BOX_STATUSES:
        raise Conflict(f"The box is {facts.status.replace('_', ' ')}; it cannot be requested now.")
    destination = {"kind": body["destination"]["kind"], "name": body["destination"].get("name")}
    check_purpose(body["purpose"], destination["kind"], effective_retention(facts.retention, body.get("retention")),
                  policy)
    stamp = now_iso()
    request = Request(org_id=org, id=derived_id(f"request|{caller.user_id}", idempotency_key), box_id=facts.box_id,
                      purpose=body["purpose"], destination=destination, period_from=body["period"]["from"],
                      period_until=body["period"]["until"], requester=rules.party(caller),
                      note=(body.get("note") or "").strip() or None, declared_retention=body.get("retention"),
                      created_at=stamp, updated_at=stamp)
    store.create_request(request, request_event("LoanRequested", request, {}, caller.as_actor()))
    return request


def list_requests(caller: Caller, limit: int, cursor: str | None, status: str | None,
                  box_id: str | None, requester: str | None) -> tuple[list[Request], str | None]:
    org = rules.org_of(caller)
    if not rules.sees_all(caller):
        caller.require_role(*rules.REQUESTER_ROLES)
        if requester not in (None, caller.user_id):
            return [], None  # others' requests are not disclosed
        requester = caller.user_id
    return store.list_requests(org, limit, cursor, status=status, box_id=box_id, requester_id=requester)


def get_request(caller: Caller, request_id: str) -> Request:
    return visible_request(caller, request_id)


def approve(caller: Caller, request_id: str, expected_version: int) -> Request:
    org = rules.require_manager(caller)
    request = visible_request(caller, request_id)
    lifecycle.require("approve", request.status)
    policy = store.get_policy(org)
    approver = rules.party(caller)
    check_approver(approver, request.requester, policy)
    facts = store.get_box_facts(org, request.box_id)
    # The policy in force when the decision is taken is the one that counts.
    check_purpose(request.purpose, request.destination["kind"],
                  effective_retention(facts.retention if facts else None, request.declared_retention), policy)
    require_version(request, expected_version, "request")
    holders, waiting = store.box_slots(org, request.box_id)
    held = box_held(holders, request.id, waiting, facts.status if facts else None, facts.loan_id if facts else None)
    stamp = now_iso()
    after = request.with_changes(status=lifecycle.target("approve", request.status, box_held=held), approver=approver,
                                 queued_at=stamp if held else None, version=request.version + 1, updated_at=stamp)
    store.save_request(after, request, request_event("LoanApproved", after, {"queued": held}, caller.as_actor()),
                       enqueue=held)
    return after


def reject(caller: Caller, request_id: str, body: dict[str, Any], expected_version: int) -> Request:
    request = _managed(caller, request_id, "reject", expected_version)
    stamp = now_iso()
    decision = {"action": "rejected", "by": caller.user_id, "at": stamp, "reason": body["reason"].strip()}
    after = request.with_changes(status="rejected", approver=rules.party(caller), decision=decision,
                                 version=request.version + 1, updated_at=stamp)
    store.save_request(after, request, request_event("LoanRejected", after, {"reason": decision["reason"]},
                                                     caller.as_actor()))
    return after


def cancel(caller: Caller, request_id: str, expected_version: int) -> Request:
    request = visible_request(caller, request_id)
    rules.require_can_cancel(caller, request)
    lifecycle.require("cancel", request.status)
    require_version(request, expected_version, "request")
    stamp = now_iso()
    after = request.with_changes(status="cancelled", queued_at=None, ready_at=None,
                                 decision={"action": "cancelled", "by": caller.user_id, "at": stamp, "reason": None},
                                 version=request.version + 1, updated_at=stamp)
    was_ready = request.ready_at is not None and request.status == "approved"
    store.save_request(after, request, request_event("LoanCancelled", after, {}, caller.as_actor()),
                       dequeue=request.status == "queued", unready=was_ready)
    if was_ready:
        promote_next(request.org_id, request.box_id)
    return after


def check_out(caller: Caller, request_id: str, expected_version: int) -> Request:
    """Start the check-out saga for an approved request (202: the saga finishes it); or, when another
    request holds the box (it won the race for it), join the box's queue (the request says `queued`)."""
    request = _managed(caller, request_id, "start_check_out", expected_version)
    holders, _ = store.box_slots(request.org_id, request.box_id)
    if any(h != request.id for h in holders):
        return _join_queue(caller, request)
    attempt = request.attempt + 1
    stamp = now_iso()
    after = request.with_changes(status="checking_out", attempt=attempt,
                                 loan_id=derived_id(f"loan|{request.org_id}|{request.id}", str(attempt)),
                                 checked_out_by=caller.user_id, last_failure=None, ready_at=None,
                                 version=request.version + 1, updated_at=stamp)
    started = request_event("CheckOutStarted", after, {"loan_id": after.loan_id}, caller.as_actor())
    store.save_request(after, request, started, hold=True, unready=request.ready_at is not None)
    _start(lambda: workflows.start_check_out(after, correlation_id()), after)
    return after


def _join_queue(caller: Caller, request: Request) -> Request:
    """The box is taken: the request waits in its line (first come, first served) and is promoted, ready,
    when the box is free again. Then the promotion runs at once: if the holder let go of the box between
    our read and this write, nobody else would promote this request."""
    stamp = now_iso()
    after = request.with_changes(status=lifecycle.target("queue", request.status), queued_at=stamp, ready_at=None,
                                 version=request.version + 1, updated_at=stamp)
    store.save_request(after, request, request_event("CheckOutQueued", after, {"queued": True}, caller.as_actor()),
                       enqueue=True, unready=request.ready_at is not None)
    try:
        promoted = promote_next(request.org_id, request.box_id)
    except StepContended:  # the line kept moving: whoever moved it promotes the head
        logger.warning("queue busy; promotion left to the next change", extra={"request_id": request.id})
        return after
    return store.get_request(request.org_id, request.id, consistent=True) if promoted == request.id else after


def start_return(caller: Caller, request_id: str, body: dict[str, Any], expected_version: int) -> Request:
    """Record the box's return and its condition, and start the return saga (202)."""
    request = _managed(caller, request_id, "start_return", expected_version)
    stamp = now_iso()
    after = request.with_changes(status="returning", return_started_at=stamp, returned_by=caller.user_id,
                                 condition=body["condition"], condition_note=(body.get("condition_note") or "").strip()
                                 or None, version=request.version + 1, updated_at=stamp)
    store.save_request(after, request, request_event("ReturnStarted", after, {"condition": after.condition,
                                                                      "condition_note": after.condition_note},
                                                     caller.as_actor()))
    _start(lambda: workflows.start_return(after, correlation_id()), after)
    return after


def _managed(caller: Caller, request_id: str, action: str, expected_version: int) -> Request:
    """The request a stack manager takes `action` on: visible, in a state that allows it, as last read."""
    rules.require_manager(caller)
    request = visible_request(caller, request_id)
    lifecycle.require(action, request.status)
    require_version(request, expected_version, "request")
    return request


def _start(start, request: Request) -> None:
    try:
        start()
    except Exception:  # the change is recorded; the reconcile job starts the saga
        logger.exception("could not start the saga; the reconcile job will", extra={"request_id": request.id})
