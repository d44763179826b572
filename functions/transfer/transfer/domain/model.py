"""What transfer keeps: its read models (records' files, disposal's holds, identity's organisations), transfers
(one copy in the sender's partition and one in the receiver's), their files page by page with each file's
inspection, the bag's manifest entries, the due lists and exports."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

KINDS = ("to_archive", "to_records_centre")
STATUSES = ("draft", "packaging", "awaiting_inspection", "accepting", "accepted", "rejected", "failed", "cancelled",
            "ready")  # ready: an export's bag, downloadable
EXPORT = "export"  # the kind of an export: a bag of any selection, nothing moves
FINAL_STATUSES = ("accepted", "rejected", "failed", "cancelled")
SAGA_STATUSES = ("packaging", "accepting")  # a saga is moving the transfer (domain.reconcile finds it if stuck)
ROLES = ("sender", "receiver")
OUTCOMES = ("accept", "reject")
LONG_RETENTIONS = ("30y", "semi_permanent", "permanent")  # kept 30 years or more: the permanent archive's
PAGE_SIZE = 25  # files per saga page (contracts: every step that takes files takes at most 25)


class _Entity:
    def with_changes(self, **changes: Any):
        return replace(self, **changes)


@dataclass(frozen=True)
class FileView(_Entity):
    """A record file as transfer knows it from records' events (never from records' table)."""

    org_id: str
    id: str
    title: str | None = None
    producing_unit: str | None = None
    class_code: str | None = None
    status: str | None = None
    status_at: str = ""  # occurred_at of the event that set `status` (events arrive in any order)
    closed_on: str | None = None
    production_year: int | None = None
    retention: str | None = None
    action: str | None = None
    retention_at: str = ""
    custody: str | None = None  # None: the producing unit's; "records_centre" once moved there
    access: str | None = None  # 공개구분 (open, partly_open, closed), when an event said it
    access_reviewed_on: str | None = None  # the last day the classification was decided or re-reviewed
    access_at: str = ""
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "producing_unit": self.producing_unit,
                "class_code": self.class_code, "status": self.status, "closed_on": self.closed_on,
                "retention": self.retention, "custody": self.custody or "producing_unit", "access": self.access,
                "access_reviewed_on": self.access_reviewed_on}


@dataclass(frozen=True)
class HoldView(_Entity):
    """A hold as disposal announced it: files, class codes and producing units it covers while active."""

    org_id: str
    id: str
    files: tuple[str, ...] = ()
    class_codes: tuple[str, ...] = ()
    producing_units: tuple[str, ...] = ()
    active: bool = True
    version: int = 1


@dataclass(frozen=True)
class Organisation(_Entity):
    """An organisation as identity announced it (an agency, a records centre or a permanent archive)."""

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    version: int = 1


@dataclass(frozen=True)
class Problem:
    """Why a transfer failed, kept on it: the problem type's slug, a detail naming what failed."""

    slug: str
    detail: str
    step: str | None = None


@dataclass(frozen=True)
class Transfer(_Entity):
    """이관: a package of files from the sender to the receiver. Each side keeps a copy in its own partition
    (`org_id`, `role`); both are written in one transaction and are otherwise the same."""

    org_id: str
    id: str
    role: str
    kind: str
    sender_org: str
    receiver_org: str
    title: str
    file_count: int
    page_count: int
    created_by: str
    created_at: str
    status: str = "draft"
    bucket: str | None = None
    prefix: str | None = None
    sent_by: str | None = None
    sent_at: str | None = None
    verified_at: str | None = None
    payload_oxum: str | None = None
    accepted_count: int = 0
    rejected_count: int = 0
    accepted_by: str | None = None
    finished_at: str | None = None
    error: Problem | None = None
    accept_attempts: int = 0
    package_attempts: int = 0  # restarts of the package saga by the reconcile job (each its own execution)
    version: int = 1
    updated_at: str = ""

    def copy_for(self, org_id: str, role: str) -> "Transfer":
        return self.with_changes(org_id=org_id, role=role)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "role": self.role, "sender_org": self.sender_org,
                "receiver_org": self.receiver_org, "title": self.title, "status": self.status,
                "file_count": self.file_count, "page_count": self.page_count, "created_by": self.created_by,
                "created_at": self.created_at, "sent_by": self.sent_by, "sent_at": self.sent_at,
                "verified_at": self.verified_at, "payload_oxum": self.payload_oxum,
                "accepted_count": self.accepted_count, "rejected_count": self.rejected_count,
                "accepted_by": self.accepted_by, "finished_at": self.finished_at,
                "error": asdict(self.error) if self.error else None, "version": self.version,
                "updated_at": self.updated_at}


@dataclass(frozen=True)
class Inspection:
    """검수: the receiver's word on one file."""

    outcome: str
    reason: str | None
    by: str
    at: str


@dataclass(frozen=True)
class TransferFile(_Entity):
    """One file of a transfer (kept in the sender's partition, read by both sides through their copy)."""

    sender_org: str
    transfer_id: str
    file_id: str
    page: int
    title: str | None = None
    producing_unit: str | None = None
    class_code: str | None = None
    retention: str | None = None
    access: str | None = None
    state: str = "listed"  # listed → marked → packaged → verified → received → transferred | returned
    components: int = 0
    octets: int = 0
    inspection: Inspection | None = None
    version: int = 1

    def public(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "page": self.page, "title": self.title,
                "producing_unit": self.producing_unit, "class_code": self.class_code, "retention": self.retention,
                "access": self.access, "state": self.state, "components": self.components, "octets": self.octets,
                "inspection": asdict(self.inspection) if self.inspection else None, "version": self.version}


@dataclass(frozen=True)
class Page(_Entity):
    """A page of a transfer's files (≤ 25): what one saga iteration takes, and the boxes stacks moved for it."""

    sender_org: str
    transfer_id: str
    page: int
    file_ids: tuple[str, ...]
    boxes: tuple[dict, ...] | None = None


@dataclass(frozen=True)
class DueEntry(_Entity):
    """A file on the day's due list (이관 대상), as the daily job found it."""

    org_id: str
    as_of: str
    kind: str
    file_id: str
    title: str | None
    producing_unit: str | None
    class_code: str | None
    retention: str | None
    due_on: str
    deadline: str | None
    held: bool
    access_review_stale: bool
    access_reviewed_on: str | None

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("org_id")
        return data
