"""Campaigns, sessions, findings and cycle policies as the inventory capability sees them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

CAMPAIGN_STATUSES = ("open", "counting", "counted", "closed")
RESULTS = ("ok", "misplaced", "missing", "unexpected", "checked_out")
CONDITIONS = ("damaged", "mould", "faded", "water_damage", "pest", "brittle", "torn", "label_missing", "other")
TASK_STATUSES = ("open", "in_progress", "done")
DECISIONS = ("conservation", "rehouse", "digitise", "monitor", "write_off", "no_action")


@dataclass(frozen=True)
class Scope:
    """A repository, or some of its ranges (codes such as R01-03)."""

    repository_id: str
    ranges: tuple[str, ...] = ()

    def covers(self, shelf_id: str | None) -> bool:
        if not shelf_id or not shelf_id.startswith(self.repository_id + "-"):
            return False
        return not self.ranges or range_of(shelf_id) in self.ranges

    def parts(self) -> list[str]:
        """What the count walks through: each range, or the whole repository."""
        return list(self.ranges) or [self.repository_id]

    def public(self) -> dict[str, Any]:
        return {"repository_id": self.repository_id, "ranges": list(self.ranges)}


def range_of(shelf_id: str) -> str:
    """R01-03-05-2 → R01-03 (a repository code alone stays as it is)."""
    return "-".join(shelf_id.split("-")[:2])


@dataclass(frozen=True)
class Campaign:
    """정수점검 campaign over a scope; `run` numbers the counting passes (results are per run)."""

    org_id: str
    id: str
    name: str
    scope: Scope
    status: str = "open"
    due_by: str | None = None
    cycle_id: str | None = None
    run: int = 0
    undecided_findings: int = 0
    findings: int = 0
    last_error: str | None = None
    counted_at: str | None = None
    closed_at: str | None = None
    version: int = 1
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "scope": self.scope.public(), "status": self.status,
                "due_by": self.due_by, "opened_by_schedule": self.cycle_id is not None, "run": self.run,
                "findings": self.findings, "undecided_findings": self.undecided_findings,
                "last_error": self.last_error, "counted_at": self.counted_at, "closed_at": self.closed_at,
                "version": self.version, "created_by": self.created_by, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Campaign":
        return replace(self, **changes)


@dataclass(frozen=True)
class Session:
    """One scanning session (a person with a hand scanner, or a partner scanner) in a campaign."""

    org_id: str
    campaign_id: str
    id: str
    name: str | None
    device: str | None
    opened_by: str
    created_at: str
    partner_client_id: str | None = None  # a partner scanner (client) posting into this session

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "campaign_id": self.campaign_id, "name": self.name, "device": self.device,
                "partner_client_id": self.partner_client_id, "opened_by": self.opened_by, "created_at": self.created_at}


@dataclass(frozen=True)
class Finding:
    """상태검사: a condition finding on a box, with its follow-up task (사후조치)."""

    org_id: str
    campaign_id: str
    id: str
    box_id: str | None
    barcode: str | None
    location_id: str | None
    conditions: tuple[str, ...]
    note: str | None
    owner: str | None
    task_status: str = "open"
    decision: str | None = None
    decision_note: str | None = None
    version: int = 1
    recorded_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "campaign_id": self.campaign_id, "box_id": self.box_id, "barcode": self.barcode,
                "location_id": self.location_id, "conditions": list(self.conditions), "note": self.note,
                "task": {"owner": self.owner, "status": self.task_status, "decision": self.decision,
                         "decision_note": self.decision_note},
                "version": self.version, "recorded_by": self.recorded_by, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Finding":
        return replace(self, **changes)


@dataclass(frozen=True)
class CyclePolicy:
    """Every holding of a repository counted at least every `cycle_years` (4 for permanent archives)."""

    org_id: str
    repository_id: str
    cycle_years: int
    last_counted_on: str | None = None  # yyyy-mm-dd
    next_due_on: str = ""
    open_campaign_id: str | None = None
    version: int = 1
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"repository_id": self.repository_id, "cycle_years": self.cycle_years,
                "last_counted_on": self.last_counted_on, "next_due_on": self.next_due_on,
                "open_campaign_id": self.open_campaign_id, "version": self.version, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "CyclePolicy":
        return replace(self, **changes)


@dataclass(frozen=True)
class Holding:
    """What stacks last told us about a box: the read model the count compares against."""

    org_id: str
    box_id: str
    barcode: str
    status: str
    home_id: str | None
    version: int
    extra: dict[str, Any] = field(default_factory=dict)
