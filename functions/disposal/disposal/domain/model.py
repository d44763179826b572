"""What disposal keeps: its read model of records' files, holds (보류), review lists (폐기 심의 대상) with
each file's three steps, and the appraisal committee (기록물평가심의회): its members and meetings."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

RETENTIONS = ("1y", "3y", "5y", "10y", "30y", "semi_permanent", "permanent")  # shared codes (contracts)
HOLD_STATUSES = ("active", "lifted")
MEMBER_KINDS = ("staff", "external")
OPINIONS = ("destroy", "keep")  # 처리과 의견
RECOMMENDATIONS = ("agree", "reset_retention", "defer")  # 기록물관리 전문요원 심사
DECISIONS = ("destroy", "reset_retention", "defer")  # 기록물평가심의회 심의
VOTES = ("for", "against", "abstain")
RUN_STATUSES = ("started", "marking", "grace", "destroying", "completed", "cancelled", "failed")  # 폐기 집행
FINAL_RUN_STATUSES = ("completed", "cancelled", "failed")
CANCELLABLE_RUN_STATUSES = ("started", "marking", "grace")  # before the irreversible step
# A file of a run: pending (listed) -> claimed (this run holds it) -> marked (records: being_destroyed) ->
# destroyed; or it leaves: held (a hold applied before it was marked, or at the confirmation: then records
# unmarks it), refused (records or the read model refused it), released (the run was cancelled or failed).
RUN_FILE_STATES = ("pending", "claimed", "marked", "destroyed", "held", "refused", "released")
MAX_GRACE_DAYS = 365


class _Entity:
    def with_changes(self, **changes: Any):
        return replace(self, **changes)


@dataclass(frozen=True)
class FileView(_Entity):
    """A record file as disposal knows it from records' events (never from records' table)."""

    org_id: str
    id: str
    title: str | None = None
    producing_unit: str | None = None
    class_code: str | None = None
    status: str | None = None
    status_at: str = ""  # occurred_at of the event that set `status` (events arrive in any order)
    closed_on: str | None = None
    retention: str | None = None
    action: str | None = None
    disposal_due: str | None = None
    due_at: str = ""  # occurred_at of the event that set the due date
    listed_in: str | None = None  # the review list the file is in, while it is under appraisal
    deferred_until: str | None = None  # the committee deferred it (보류) to this date
    awaiting_reset: str | None = None  # the committee re-set its retention; records has yet to apply it
    in_run: str | None = None  # the destruction run that holds the file (no second run takes it)
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "producing_unit": self.producing_unit,
                "class_code": self.class_code, "status": self.status, "closed_on": self.closed_on,
                "retention": self.retention, "action": self.action, "disposal_due": self.disposal_due,
                "listed_in": self.listed_in, "deferred_until": self.deferred_until,
                "awaiting_reset": self.awaiting_reset, "in_run": self.in_run}


@dataclass(frozen=True)
class Mandate:
    reason: str
    authority: str
    reference: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a hold covers: named files, every file of a class (unit task code), every file of a producing unit."""

    files: tuple[str, ...] = ()
    class_codes: tuple[str, ...] = ()
    producing_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hold(_Entity):
    """A legal or administrative hold: nothing in its scope is destroyed while it is active. Lifted, never deleted."""

    org_id: str
    id: str
    mandate: Mandate
    scope: Scope
    placed_by: str
    placed_at: str
    status: str = "active"
    lifted_by: str | None = None
    lifted_at: str | None = None
    lift_reason: str | None = None
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status,
                "mandate": {"reason": self.mandate.reason, "authority": self.mandate.authority,
                            "reference": self.mandate.reference},
                "scope": {"files": list(self.scope.files), "class_codes": list(self.scope.class_codes),
                          "producing_units": list(self.scope.producing_units)},
                "placed_by": self.placed_by, "placed_at": self.placed_at, "lifted_by": self.lifted_by,
                "lifted_at": self.lifted_at, "lift_reason": self.lift_reason, "version": self.version}


@dataclass(frozen=True)
class ReviewList(_Entity):
    """폐기 심의 대상: files due for appraisal, of one producing unit (built by the job) or chosen by hand."""

    org_id: str
    id: str
    title: str
    producing_unit: str | None
    origin: str  # "scheduled" | "manual"
    file_count: int
    created_by: str
    created_at: str
    as_of: str  # the day it was built for
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "producing_unit": self.producing_unit, "origin": self.origin,
                "file_count": self.file_count, "as_of": self.as_of, "created_by": self.created_by,
                "created_at": self.created_at, "version": self.version}


@dataclass(frozen=True)
class Opinion:
    """Step 1, the producing unit's (처리과) opinion."""

    opinion: str
    reason: str | None
    official: str  # the unit's official who gave it
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class ProfessionalReview:
    """Step 2, a records professional's (기록물관리 전문요원) review."""

    recommendation: str
    retention: str | None
    defer_until: str | None
    note: str | None
    reviewed_by: str
    reviewed_at: str


@dataclass(frozen=True)
class Vote:
    member_id: str
    vote: str


@dataclass(frozen=True)
class Decision:
    """Step 3, the committee's decision at a meeting, with the votes of the members present."""

    meeting_id: str
    decision: str
    retention: str | None
    defer_until: str | None
    votes: tuple[Vote, ...]
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class FileReview(_Entity):
    """One file of a review list and its three steps, in order."""

    org_id: str
    list_id: str
    file_id: str
    title: str | None
    producing_unit: str | None
    class_code: str | None
    retention: str | None
    disposal_due: str | None
    opinion: Opinion | None = None
    review: ProfessionalReview | None = None
    decision: Decision | None = None
    version: int = 1
    updated_at: str = ""

    @property
    def stage(self) -> str:
        if self.opinion is None:
            return "awaiting_opinion"
        if self.review is None:
            return "awaiting_review"
        if self.decision is None:
            return "awaiting_decision"
        return "decided"

    def public(self) -> dict[str, Any]:
        def encode(step: Any) -> dict[str, Any] | None:
            return asdict(step) if step is not None else None
        return {"list_id": self.list_id, "file_id": self.file_id, "title": self.title,
                "producing_unit": self.producing_unit, "class_code": self.class_code, "retention": self.retention,
                "disposal_due": self.disposal_due, "stage": self.stage, "opinion": encode(self.opinion),
                "review": encode(self.review), "decision": encode(self.decision), "version": self.version,
                "updated_at": self.updated_at}


@dataclass(frozen=True)
class Member(_Entity):
    """A named committee member: a staff user (user_id) or an external expert with no login."""

    org_id: str
    id: str
    name: str
    kind: str
    user_id: str | None
    affiliation: str | None
    active: bool
    created_by: str
    created_at: str
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "user_id": self.user_id,
                "affiliation": self.affiliation, "active": self.active, "created_by": self.created_by,
                "created_at": self.created_at, "version": self.version}


@dataclass(frozen=True)
class Meeting(_Entity):
    """A committee meeting: its date and the members present (who may vote on its decisions)."""

    org_id: str
    id: str
    held_on: str
    present: tuple[str, ...]
    title: str | None
    created_by: str
    created_at: str
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "held_on": self.held_on, "present": list(self.present), "title": self.title,
                "created_by": self.created_by, "created_at": self.created_at, "version": self.version}


@dataclass(frozen=True)
class Settings(_Entity):
    """An organisation's disposal settings: the grace period (a restore window, as RODA has) between marking
    the files in records and destroying them, during which a run can be cancelled."""

    org_id: str
    grace_days: int = 0
    updated_by: str | None = None
    updated_at: str | None = None
    version: int = 0  # 0: never written (the defaults)

    def public(self) -> dict[str, Any]:
        return {"grace_days": self.grace_days, "updated_by": self.updated_by, "updated_at": self.updated_at,
                "version": self.version}


@dataclass(frozen=True)
class Supervisor:
    """The official who supervised the destruction (공공기록물법 시행령 제27조③)."""

    name: str
    title: str | None = None


@dataclass(frozen=True)
class Run(_Entity):
    """A destruction run (폐기 집행): files the committee decided to destroy, destroyed by a saga."""

    org_id: str
    id: str
    status: str
    review_list_id: str | None
    file_count: int
    page_count: int
    executed_by: str
    supervisor: Supervisor
    started_by: str
    started_at: str
    grace_days: int
    grace_until: str | None = None
    cancel_requested_by: str | None = None
    cancel_requested_at: str | None = None
    destroyed: int = 0
    held: int = 0
    refused: int = 0
    released: int = 0
    components: int = 0
    certificate_sha256: str | None = None
    certificate_pdf_sha256: str | None = None
    completed_at: str | None = None
    failure: str | None = None
    version: int = 1
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "review_list_id": self.review_list_id,
                "file_count": self.file_count, "executed_by": self.executed_by,
                "supervisor": {"name": self.supervisor.name, "title": self.supervisor.title},
                "started_by": self.started_by, "started_at": self.started_at, "grace_days": self.grace_days,
                "grace_until": self.grace_until, "cancel_requested_by": self.cancel_requested_by,
                "cancel_requested_at": self.cancel_requested_at,
                "counts": {"destroyed": self.destroyed, "held": self.held, "refused": self.refused,
                           "released": self.released, "components": self.components},
                "certificate": ({"sha256": self.certificate_sha256, "pdf_sha256": self.certificate_pdf_sha256}
                                if self.certificate_sha256 else None),
                "completed_at": self.completed_at, "failure": self.failure, "version": self.version,
                "updated_at": self.updated_at}


@dataclass(frozen=True)
class RunFile(_Entity):
    """One file of a run, on its page (at most 25 a page), with what became of it."""

    org_id: str
    run_id: str
    page: int
    file_id: str
    list_id: str | None
    state: str = "pending"
    reason: str | None = None
    was_marked: bool = False  # records marked it (a release must unmark it)
    title: str | None = None
    producing_unit: str | None = None
    class_code: str | None = None
    retention: str | None = None
    meeting_id: str | None = None
    decided_at: str | None = None
    votes: tuple[dict[str, Any], ...] = ()  # the committee's votes on the file (member_id, vote)
    components: tuple[dict[str, Any], ...] = ()  # records' proof: component_id, item_id, name, sha256, size...
    boxes: tuple[dict[str, Any], ...] = ()  # stacks' answer: box_id, barcode, box_destroyed
    destroyed_at: str | None = None
    version: int = 1

    @property
    def outcome(self) -> str:
        return self.state if self.state in ("destroyed", "held", "refused", "released") else "pending"

    def public(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "page": self.page, "outcome": self.outcome, "state": self.state,
                "reason": self.reason, "title": self.title, "producing_unit": self.producing_unit,
                "class_code": self.class_code, "retention": self.retention, "list_id": self.list_id,
                "meeting_id": self.meeting_id, "components": [dict(c) for c in self.components],
                "boxes": [dict(b) for b in self.boxes], "destroyed_at": self.destroyed_at}


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the destruction register (폐기 대장): a destroyed file."""

    org_id: str
    destroyed_at: str
    run_id: str
    file_id: str
    title: str | None
    producing_unit: str | None
    class_code: str | None
    retention: str | None
    meeting_id: str | None
    components: int
    executed_by: str
    supervisor: str
