"""Circulation's use cases: check the rules, change the table (with the event), drive the sagas.

Functions take the caller and plain data, return domain objects, and know nothing of HTTP.
Box facts come from the local read model (stacks' events), people's roles and organisation
from the token as recorded on the request: no route calls another capability.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
import json
import os
import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.auth import Caller
from shared.concurrency import stale
from shared.events import DomainEvent, Subject, new_event, now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id, logger
from shared.problems import Conflict, PreconditionFailed, ValidationFailed

from .data import repository as repo
from .domain import lifecycle, overdue, register as register_csv, rules
from .domain.model import BoxFacts, RegisterEntry, Request
from .domain.policy import Policy, check_approver, check_document, check_period, check_purpose, effective_retention
from .domain.problems import BoxOnLoan, UnknownBox
from .domain.queue import box_held, next_in_line
from .integration import workflows

CAPABILITY = "circulation"
SYSTEM_ACTOR = {"user_id": "system", "org_id": None}
UNAVAILABLE_BOX_STATUSES = ("unplaced", "missing", "in_transfer")
STEP_ATTEMPTS = 6
MAX_CSV_ROWS = 10_000


def today() -> date:
    """The organisation's calendar day (due dates are days): CIRCULATION_TIMEZONE, Korea by default."""
    try:
        zone = ZoneInfo(os.environ.get("CIRCULATION_TIMEZONE", "Asia/Seoul"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    return datetime.now(zone).date()


def _event(type_: str, request: Request, payload: dict[str, Any], actor: dict[str, Any]) -> DomainEvent:
    subjects = [Subject("loan_request", request.id, request.org_id), Subject("box", request.box_id, request.org_id)]
    return new_event(CAPABILITY, type_, subjects, {"request": request.public(), **payload}, actor=actor,
                     correlation_id=correlation_id())


def _saga_actor(request: Request) -> dict[str, Any]:
    return {**SYSTEM_ACTOR, "org_id": request.org_id, "loan_id": request.loan_id}


def _get(caller: Caller, request_id: str) -> Request:
    org = rules.org_of(caller)
    return rules.require_visible(caller, repo.get_request(org, request_id))


def _require_version(request: Request, expected_version: int) -> None:
    if request.version != expected_version:
        raise stale("request")


# ------------------------------------------------------------------ requests
def create_request(caller: Caller, body: dict[str, Any], idempotency_key: str | None,
                   on: date | None = None) -> Request:
    org = rules.require_requester(caller)
    policy = repo.get_policy(org)
    check_period(body["period"]["from"], body["period"]["until"], on or today(), policy)
    facts = repo.get_box_facts(org, body["box_id"])
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
    repo.create_request(request, _event("LoanRequested", request, {}, caller.as_actor()))
    return request


def list_requests(caller: Caller, limit: int, cursor: str | None, status: str | None,
                  box_id: str | None, requester: str | None) -> tuple[list[Request], str | None]:
    org = rules.org_of(caller)
    if not rules.sees_all(caller):
        caller.require_role(*rules.REQUESTER_ROLES)
        if requester not in (None, caller.user_id):
            return [], None  # others' requests are not disclosed
        requester = caller.user_id
    return repo.list_requests(org, limit, cursor, status=status, box_id=box_id, requester_id=requester)


def get_request(caller: Caller, request_id: str) -> Request:
    return _get(caller, request_id)


def approve(caller: Caller, request_id: str, expected_version: int) -> Request:
    org = rules.require_manager(caller)
    request = _get(caller, request_id)
    lifecycle.require("approve", request.status)
    policy = repo.get_policy(org)
    approver = rules.party(caller)
    check_approver(approver, request.requester, policy)
    facts = repo.get_box_facts(org, request.box_id)
    # The policy in force when the decision is taken is the one that counts.
    check_purpose(request.purpose, request.destination["kind"],
                  effective_retention(facts.retention if facts else None, request.declared_retention), policy)
    _require_version(request, expected_version)
    holders, waiting = repo.box_slots(org, request.box_id)
    held = box_held(holders, request.id, waiting, facts.status if facts else None, facts.loan_id if facts else None)
    stamp = now_iso()
    after = request.with_changes(status=lifecycle.target("approve", request.status, box_held=held), approver=approver,
                                 queued_at=stamp if held else None, version=request.version + 1, updated_at=stamp)
    repo.save_request(after, request, _event("LoanApproved", after, {"queued": held}, caller.as_actor()),
                      enqueue=held)
    return after


def reject(caller: Caller, request_id: str, body: dict[str, Any], expected_version: int) -> Request:
    rules.require_manager(caller)
    request = _get(caller, request_id)
    lifecycle.require("reject", request.status)
    _require_version(request, expected_version)
    stamp = now_iso()
    decision = {"action": "rejected", "by": caller.user_id, "at": stamp, "reason": body["reason"].strip()}
    after = request.with_changes(status="rejected", approver=rules.party(caller), decision=decision,
                                 version=request.version + 1, updated_at=stamp)
    repo.save_request(after, request, _event("LoanRejected", after, {"reason": decision["reason"]},
                                             caller.as_actor()))
    return after


def cancel(caller: Caller, request_id: str, expected_version: int) -> Request:
    request = _get(caller, request_id)
    rules.require_can_cancel(caller, request)
    lifecycle.require("cancel", request.status)
    _require_version(request, expected_version)
    stamp = now_iso()
    after = request.with_changes(status="cancelled", queued_at=None, ready_at=None,
                                 decision={"action": "cancelled", "by": caller.user_id, "at": stamp, "reason": None},
                                 version=request.version + 1, updated_at=stamp)
    was_ready = request.ready_at is not None and request.status == "approved"
    repo.save_request(after, request, _event("LoanCancelled", after, {}, caller.as_actor()),
                      dequeue=request.status == "queued", unready=was_ready)
    if was_ready:
        promote_next(request.org_id, request.box_id)
    return after


def check_out(caller: Caller, request_id: str, expected_version: int) -> Request:
    """Start the check-out saga for an approved request (202: the saga finishes it)."""
    rules.require_manager(caller)
    request = _get(caller, request_id)
    lifecycle.require("start_check_out", request.status)
    _require_version(request, expected_version)
    holders, _ = repo.box_slots(request.org_id, request.box_id)
    others = [h for h in holders if h != request.id]
    if others:
        raise BoxOnLoan("Another request holds this box (it is out, on its way out, or reserved for the next in "
                        "line); this request can be checked out once the box is back.", held_by=others[0])
    attempt = request.attempt + 1
    stamp = now_iso()
    after = request.with_changes(status="checking_out", attempt=attempt,
                                 loan_id=derived_id(f"loan|{request.org_id}|{request.id}", str(attempt)),
                                 checked_out_by=caller.user_id, last_failure=None, ready_at=None,
                                 version=request.version + 1, updated_at=stamp)
    repo.save_request(after, request, _event("CheckOutStarted", after, {"loan_id": after.loan_id},
                                             caller.as_actor()), hold=True, unready=request.ready_at is not None)
    _start(lambda: workflows.start_check_out(after, correlation_id()), after)
    return after


def start_return(caller: Caller, request_id: str, body: dict[str, Any], expected_version: int) -> Request:
    """Record the box's return and its condition, and start the return saga (202)."""
    rules.require_manager(caller)
    request = _get(caller, request_id)
    lifecycle.require("start_return", request.status)
    _require_version(request, expected_version)
    stamp = now_iso()
    after = request.with_changes(status="returning", return_started_at=stamp, returned_by=caller.user_id,
                                 condition=body["condition"], condition_note=(body.get("condition_note") or "").strip()
                                 or None, version=request.version + 1, updated_at=stamp)
    repo.save_request(after, request, _event("ReturnStarted", after, {"condition": after.condition,
                                                                      "condition_note": after.condition_note},
                                             caller.as_actor()))
    _start(lambda: workflows.start_return(after, correlation_id()), after)
    return after


def _start(start, request: Request) -> None:
    try:
        start()
    except Exception:  # the change is recorded; the reconcile job starts the saga
        logger.exception("could not start the saga; the reconcile job will", extra={"request_id": request.id})


# -------------------------------------------------------------------- policy
def get_policy(caller: Caller) -> Policy:
    return repo.get_policy(rules.require_reader(caller))


def put_policy(caller: Caller, document: dict[str, Any], expected_version: int) -> Policy:
    org = rules.require_manager(caller)
    check_document(document)
    current = repo.get_policy(org)
    _require_version_policy(current, expected_version)
    stamp = now_iso()
    policy = Policy.from_document(document, version=current.version + 1, updated_at=stamp, updated_by=caller.user_id)
    event = new_event(CAPABILITY, "CirculationPolicyChanged", [Subject("organisation", org, org)],
                      {"policy": policy.public()}, actor=caller.as_actor(), correlation_id=correlation_id())
    repo.save_policy(policy, expected_version, event)
    return policy


def _require_version_policy(policy: Policy, expected_version: int) -> None:
    if policy.version != expected_version:
        raise stale("policy")


# ------------------------------------------------------------------ register
def read_register(caller: Caller, *, since: str | None, until: str | None, box_id: str | None,
                  person: str | None, limit: int, cursor: str | None) -> tuple[list[RegisterEntry], str | None]:
    org = rules.require_reader(caller)
    if since and until and until < since:
        raise ValidationFailed("until: before from.", errors=[{"field": "until", "message": "before from"}])
    entries, next_cursor = repo.register(org, box_id=box_id, person=person, since=since, until=until, limit=limit,
                                         cursor=cursor)
    if box_id and person:  # one partition per filter; the second filters within it
        entries = [e for e in entries if person in e.people]
    return entries, next_cursor


def export_register(caller: Caller, *, since: str | None, until: str | None, box_id: str | None,
                    person: str | None) -> str:
    """Every matching entry as CSV (at most MAX_CSV_ROWS: narrow the period for more)."""
    rows: list[RegisterEntry] = []
    cursor = None
    while True:
        page, cursor = read_register(caller, since=since, until=until, box_id=box_id, person=person, limit=100,
                                     cursor=cursor)
        rows.extend(page)
        if len(rows) > MAX_CSV_ROWS:
            raise ValidationFailed(f"More than {MAX_CSV_ROWS} entries match; narrow the period (from, until).",
                                   errors=[{"field": "from", "message": "period too wide for one export"}])
        if cursor is None:
            return register_csv.to_csv(rows)


def _register_entry(request: Request, action: str, at: str, handled_by: str, reason: str | None = None
                    ) -> RegisterEntry:
    facts = repo.get_box_facts(request.org_id, request.box_id)
    people = {request.requester.user_id, handled_by}
    return RegisterEntry(org_id=request.org_id, at=at, action=action, request_id=request.id,
                         loan_id=request.loan_id or "", box_id=request.box_id, requester=request.requester.user_id,
                         handled_by=handled_by, purpose=request.purpose, destination=dict(request.destination),
                         period_from=request.period_from, period_until=request.period_until,
                         box_barcode=facts.barcode if facts else None, box_title=facts.title if facts else None,
                         condition=request.condition if action.startswith("return") else None,
                         condition_note=request.condition_note if action.startswith("return") else None,
                         reason=reason, people=tuple(sorted(p for p in people if p and p != "system")))


# ------------------------------------------------------- saga: check-out steps
class StepRefused(Exception):
    """Business rejection: the request is not where this step expects it (the saga must not retry)."""


class StepContended(Exception):
    """The request kept changing under the step; worth retrying (transient for the saga)."""


def _saga_request(loan: dict[str, Any]) -> Request:
    request = repo.get_request(loan["org_id"], loan["request_id"], consistent=True)
    if request is None:
        raise StepRefused(f"No request {loan['request_id']} in {loan['org_id']}.")
    return request


def _ours(request: Request, loan: dict[str, Any]) -> bool:
    return request.loan_id == loan["id"]


def _retrying(step):
    """Run a read-decide-write step again when a concurrent change beat its conditional write."""
    for _ in range(STEP_ATTEMPTS):
        try:
            return step()
        except PreconditionFailed:
            continue
    raise StepContended("The request kept changing; the step did not complete.")


def step_check_parties(loan: dict[str, Any]) -> dict[str, Any]:
    request = _saga_request(loan)
    if not _ours(request, loan) or request.status not in ("checking_out", "checked_out"):
        raise StepRefused(f"Request {request.id} is {request.status} (loan {request.loan_id}), not checking out "
                          f"loan {loan['id']}.")
    rules.check_parties(request, repo.get_policy(request.org_id))
    return {"requester": request.requester.user_id, "approver": request.approver.user_id if request.approver else None}


def step_record_loan(loan: dict[str, Any]) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        request = _saga_request(loan)
        if _ours(request, loan) and request.status in ("checked_out", "returning", "returned"):
            return {"status": request.status, "already": True}
        if not _ours(request, loan) or request.status != "checking_out":
            raise StepRefused(f"Request {request.id} is {request.status}; loan {loan['id']} cannot be recorded.")
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("record_loan", request.status), checked_out_at=stamp,
                                     version=request.version + 1, updated_at=stamp)
        entry = _register_entry(after, "check_out", stamp, after.checked_out_by or "system")
        repo.save_request(after, request, _event("LoanCheckedOut", after, {"loan_id": after.loan_id,
                                                                           "due": after.due},
                                                 _saga_actor(after)), entries=[entry])
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
                step_record_loan(loan)
            return {"outcome": "checked_out", "already": request.status == "checked_out"}
        holders, waiting = repo.box_slots(request.org_id, request.box_id)
        held = held_in_stacks or box_held(holders, request.id, waiting)
        stamp = now_iso()
        failure = (error or {}).get("Error", "CheckOutFailed")
        cause = str((error or {}).get("Cause", ""))[:500]
        after = request.with_changes(status=lifecycle.target("abandon_check_out", request.status, box_held=held),
                                     last_failure=f"{failure}: {_cause_text(cause)}".strip().rstrip(":"),
                                     queued_at=stamp if held else None, checked_out_at=None,
                                     version=request.version + 1, updated_at=stamp)
        entries = ([_register_entry(after, "check_out_cancelled", stamp, "system", reason=failure)]
                   if request.status == "checked_out" else [])
        repo.save_request(after, request, _event("CheckOutAbandoned", after, {"loan_id": loan["id"],
                                                                             "error": failure, "queued": held},
                                                 _saga_actor(request)),
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
    entry = _register_entry(request, "return", request.return_started_at or request.updated_at,
                            request.returned_by or "system")
    try:
        repo.record_return(request, entry, _event("ReturnRecorded", request, {"loan_id": loan["id"]},
                                                  _saga_actor(request)))
    except repo.AlreadyRecorded:
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
        if repo.return_recorded(request):
            entries.append(_register_entry(request, "return_cancelled", stamp, "system", reason=failure))
        after = request.with_changes(status=lifecycle.target("reopen", request.status), return_started_at=None,
                                     returned_by=None, condition=None, condition_note=None,
                                     last_failure=f"{failure}: {_cause_text(str((error or {}).get('Cause', '')))}",
                                     version=request.version + 1, updated_at=stamp)
        repo.save_request(after, request, _event("ReturnFailed", after, {"loan_id": loan["id"], "error": failure},
                                                 _saga_actor(request)), entries=entries)
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
        repo.save_request(after, request, _event("LoanReturned", after, {"loan_id": loan["id"],
                                                                         "condition": after.condition},
                                                 _saga_actor(request)), release=True)
        return {"status": "returned", "already": False}

    return _retrying(run)


def step_promote_next(loan: dict[str, Any]) -> dict[str, Any]:
    return {"promoted": promote_next(loan["org_id"], loan["box_id"])}


def promote_next(org_id: str, box_id: str) -> str | None:
    """If nobody holds the box, the first request in its queue becomes approved (ready) again.

    Safe to repeat and to race: the promotion is a conditional write on the head's version, and a
    box with a holder or a ready request is left alone."""
    for _ in range(STEP_ATTEMPTS):
        holders, waiting = repo.box_slots(org_id, box_id)
        head = next_in_line(waiting)
        if holders or head is None:
            return None
        request = repo.get_request(org_id, head.request_id, consistent=True)
        if request is None or request.status != "queued":
            repo.drop_queue_place(org_id, box_id, head)  # a stale place (should not happen): clear it
            continue
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("promote", request.status), queued_at=None,
                                     ready_at=stamp, version=request.version + 1, updated_at=stamp)
        try:
            repo.save_request(after, request, _event("ReservationReady", after, {}, SYSTEM_ACTOR | {"org_id": org_id}),
                              dequeue=True, ready=True)
            return after.id
        except PreconditionFailed:
            continue
    raise StepContended(f"The queue of box {box_id} kept changing.")


# ----------------------------------------------------------- read model (stacks)
def apply_stacks_event(envelope: dict[str, Any]) -> str:
    """Fold one of stacks' box events into the local box facts. Late and duplicate events change nothing."""
    box_subjects = [s for s in envelope.get("subjects") or [] if s.get("kind") == "box"]
    payload = envelope.get("payload") or {}
    box = payload.get("box") or (payload if envelope.get("type") == "BoxRegistered" else None)
    if not box_subjects or not isinstance(box, dict) or "version" not in box:
        return "ignored"
    org_id = box_subjects[0].get("org_id")
    if not org_id or box.get("id") != box_subjects[0]["id"]:
        return "ignored"
    facts = BoxFacts(org_id=org_id, box_id=box["id"], status=box.get("status"), loan_id=box.get("loan_id"),
                     barcode=box.get("barcode"), title=box.get("title"),
                     home_location_id=box.get("home_location_id"), current_location=box.get("current_location"),
                     retention=box.get("retention"), version=int(box["version"]),
                     occurred_at=envelope.get("occurred_at") or "", event_id=envelope.get("id") or "")
    return "applied" if repo.apply_box_facts(facts) else "stale"


# ---------------------------------------------------------------------- jobs
OVERDUE_PAGE = 100
NOTICE_TTL_SECONDS = 90 * 24 * 3600


def detect_overdue(on: date | None = None, page_size: int = OVERDUE_PAGE) -> dict[str, int]:
    """Scheduled: one LoanOverdue event per loan out past its period, at most once a day each."""
    day = on or today()
    counts = {"pages": 0, "overdue": 0, "notified": 0, "already": 0}
    start = None
    while True:
        page, start = repo.open_loans_due_before(day, page_size, start)
        counts["pages"] += 1
        for request in page:
            if request.status != "checked_out" or not overdue.is_overdue(request.due, day):
                continue
            counts["overdue"] += 1
            event = _event("LoanOverdue", request, {"loan_id": request.loan_id, "due": request.due,
                                                    "days_overdue": overdue.days_overdue(request.due, day),
                                                    "day": day.isoformat()},
                           {**SYSTEM_ACTOR, "org_id": request.org_id})
            sent = repo.record_notice(request, day, now_iso(), int(time.time()) + NOTICE_TTL_SECONDS, event)
            counts["notified" if sent else "already"] += 1
        if not start:
            return counts


def reconcile_sagas(now: datetime | None = None, settle: timedelta = timedelta(minutes=10)) -> dict[str, int]:
    """Scheduled: a request a saga should be moving, with no execution running, gets its saga again.

    Covers a saga that never started (Step Functions unavailable when the API wrote the request)
    and one whose compensation gave up. Steps are idempotent per loan id, so a restart finishes
    or undoes what the first run left."""
    cutoff = ((now or datetime.now(timezone.utc)) - settle).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    counts = {"stuck": 0, "restarted": 0}
    for request in repo.sagas_started_before(cutoff):
        counts["stuck"] += 1
        kind, name = (("checkout", workflows.check_out_name(request)) if request.status == "checking_out"
                      else ("return", workflows.return_name(request)))
        if workflows.running(kind, name):
            continue
        start = workflows.start_check_out if kind == "checkout" else workflows.start_return
        if start(request, correlation_id()) or start(request, correlation_id(), name=f"{name}-{int(time.time())}"):
            counts["restarted"] += 1
    return counts


