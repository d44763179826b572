"""Check-out requests, the parties to them, box facts and register entries as circulation sees them.

A *request* (반출 신청) asks to take one box out of the stacks for a purpose, a period and a
destination. Once a stack manager starts its check-out, the attempt gets a *loan id*: the id the
stacks capability keys its saga steps on, and the name of the saga execution
(`checkout-<loan id>`). An attempt that fails leaves the request approved or queued; the next
attempt gets a new loan id, so every execution name is unique per attempt.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

PURPOSES = ("reading", "conservation", "exhibition", "digitisation", "transfer")
DESTINATIONS = ("reading_room", "conservation_lab", "exhibition", "scanning_room")
CONDITIONS = ("good", "fair", "damaged")
# Retention periods (보존기간); semi-permanent is appraised at 70 years, permanent never ends.
RETENTION_YEARS: dict[str, float] = {"1y": 1, "3y": 3, "5y": 5, "10y": 10, "30y": 30, "semi_permanent": 70,
                                     "permanent": float("inf")}
REQUESTER_ROLES = ("requester", "archivist")
MANAGER_ROLES = ("stack_manager", "admin")
READER_ROLES = ("stack_manager", "admin", "auditor")


@dataclass(frozen=True)
class Party:
    """Someone who acted on a request, as their token said at the time (never looked up later)."""

    user_id: str
    org_id: str | None
    roles: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "org_id": self.org_id, "roles": list(self.roles)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Party | None":
        if not data:
            return None
        return cls(user_id=data["user_id"], org_id=data.get("org_id"), roles=tuple(data.get("roles") or ()))


@dataclass(frozen=True)
class Request:
    org_id: str
    id: str
    box_id: str
    purpose: str
    destination: dict[str, Any]  # {"kind": one of DESTINATIONS, "name": optional label}
    period_from: str  # YYYY-MM-DD
    period_until: str  # YYYY-MM-DD, also the due date of the loan
    requester: Party
    status: str = "requested"
    note: str | None = None
    declared_retention: str | None = None  # the requester's statement, a documented fallback
    approver: Party | None = None
    decision: dict[str, Any] | None = None  # {"action", "by", "at", "reason"} of a rejection or cancellation
    loan_id: str | None = None
    attempt: int = 0
    checked_out_at: str | None = None
    checked_out_by: str | None = None
    return_started_at: str | None = None
    returned_by: str | None = None
    returned_at: str | None = None
    condition: str | None = None
    condition_note: str | None = None
    queued_at: str | None = None
    ready_at: str | None = None
    last_failure: str | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    @property
    def due(self) -> str:
        return self.period_until

    def public(self) -> dict[str, Any]:
        loan = None
        if self.loan_id:
            loan = {"id": self.loan_id, "attempt": self.attempt, "checked_out_at": self.checked_out_at,
                    "checked_out_by": self.checked_out_by, "due": self.due,
                    "return_started_at": self.return_started_at, "returned_by": self.returned_by,
                    "returned_at": self.returned_at, "condition": self.condition,
                    "condition_note": self.condition_note}
        return {"id": self.id, "org_id": self.org_id, "box_id": self.box_id, "purpose": self.purpose,
                "destination": dict(self.destination), "period": {"from": self.period_from, "until": self.period_until},
                "note": self.note, "retention": self.declared_retention, "status": self.status,
                "requester": self.requester.public(), "approver": self.approver.public() if self.approver else None,
                "decision": self.decision, "loan": loan, "queued_at": self.queued_at, "ready_at": self.ready_at,
                "last_failure": self.last_failure, "version": self.version, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def saga_loan(self) -> dict[str, Any]:
        """What the check-out and return sagas carry: enough for every step, keyed by the loan id."""
        return {"id": self.loan_id, "org_id": self.org_id, "box_id": self.box_id, "request_id": self.id,
                "attempt": self.attempt, "destination": dict(self.destination), "purpose": self.purpose,
                "due": self.due}

    def with_changes(self, **changes: Any) -> "Request":
        return replace(self, **changes)


@dataclass(frozen=True)
class BoxFacts:
    """What circulation knows of a box, from the stacks capability's events (a local read model)."""

    org_id: str
    box_id: str
    status: str | None = None
    loan_id: str | None = None
    barcode: str | None = None
    title: str | None = None
    home_location_id: str | None = None
    current_location: dict[str, Any] | None = None
    retention: str | None = None  # the box's retention (보존기간) as the stacks publish it
    version: int = 0
    occurred_at: str = ""
    event_id: str = ""

    def public(self) -> dict[str, Any]:
        return {"box_id": self.box_id, "status": self.status, "loan_id": self.loan_id, "barcode": self.barcode,
                "title": self.title, "home_location_id": self.home_location_id,
                "current_location": self.current_location, "retention": self.retention, "version": self.version}


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the register (출입 및 열람·반출 관리대장): a check-out, a return, or a correction."""

    org_id: str
    at: str
    action: str  # check_out | return | check_out_cancelled | return_cancelled
    request_id: str
    loan_id: str
    box_id: str
    requester: str
    handled_by: str
    purpose: str
    destination: dict[str, Any]
    period_from: str
    period_until: str
    box_barcode: str | None = None
    box_title: str | None = None
    condition: str | None = None
    condition_note: str | None = None
    reason: str | None = None
    people: tuple[str, ...] = field(default=())

    def public(self) -> dict[str, Any]:
        return {"at": self.at, "action": self.action, "request_id": self.request_id, "loan_id": self.loan_id,
                "box_id": self.box_id, "box_barcode": self.box_barcode, "box_title": self.box_title,
                "requester": self.requester, "handled_by": self.handled_by, "purpose": self.purpose,
                "destination": dict(self.destination), "period": {"from": self.period_from, "until": self.period_until},
                "condition": self.condition, "condition_note": self.condition_note, "reason": self.reason}
