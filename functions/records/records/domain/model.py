"""Files (기록물철), items (기록물건), their access classification (공개구분), the disposal rule a file
carries, the classification read model's unit tasks, the boxes a file is in, and access review tasks."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Shared codes (contracts: stacks uses the same retention codes).
RETENTIONS = ("1y", "3y", "5y", "10y", "30y", "semi_permanent", "permanent")
ACTIONS = ("review", "transfer")
TRIGGERS = ("year_after_closing",)
ACCESS_CLASSES = ("open", "partly_open", "closed")
GROUNDS = tuple(range(1, 9))  # Official Information Disclosure Act art. 9①(1–8)
RECORD_TYPES = ("general_document", "drawing", "photo_film", "audio_video", "card", "register")
REVIEW_STATUSES = ("open", "done")

# Metadata a partly open file or item may close (the rest is always shown).
FILE_REDACTABLE = ("title", "creator", "producing_unit", "description", "keywords")
ITEM_REDACTABLE = ("title", "author", "attachments", "description")


@dataclass(frozen=True)
class Access:
    """공개구분 of a file or an item: closed parts name their grounds; non-open access is reviewed."""

    classification: str = "open"
    grounds: tuple[int, ...] = ()
    closed_fields: tuple[str, ...] = ()  # partly open: the metadata fields requesters do not see
    review_on: str | None = None  # next re-review (every 5 years while not open)
    extended_until: str | None = None  # the 30-year rule postponed to this date (a recorded extension)

    @property
    def is_open(self) -> bool:
        return self.classification == "open"

    def public(self) -> dict[str, Any]:
        return {"classification": self.classification, "grounds": list(self.grounds),
                "closed_fields": list(self.closed_fields), "review_on": self.review_on,
                "extended_until": self.extended_until}


@dataclass(frozen=True)
class Rule:
    """A unit task's disposal rule (기록관리기준표), as published in a scheme version."""

    retention: str
    action: str
    trigger: str = "year_after_closing"
    access: str = "open"
    grounds: tuple[int, ...] = ()
    notes: str | None = None

    def public(self) -> dict[str, Any]:
        return {"retention": self.retention, "trigger": self.trigger, "action": self.action,
                "access": {"classification": self.access, "grounds": list(self.grounds)}, "notes": self.notes}


@dataclass(frozen=True)
class UnitTask:
    """단위과제 of a published scheme version, as records keeps it (read model of classification's events)."""

    org_id: str
    scheme_version: int
    code: str
    title: str
    rule: Rule
    path: tuple[dict[str, Any], ...] = ()
    valid_from: str | None = None
    valid_to: str | None = None

    def public(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "scheme_version": self.scheme_version,
                "path": list(self.path), "valid_from": self.valid_from, "valid_to": self.valid_to,
                "rule": self.rule.public()}


@dataclass(frozen=True)
class RecordFile:
    """기록물철, the unit of management: filed under a unit task of one scheme version, carrying the
    rule it was filed (or closed) with, so closing needs nothing from another capability."""

    org_id: str
    id: str
    class_code: str
    scheme_version: int  # the version it was filed under
    rule_version: int  # the version whose rule applies (newer after a re-application)
    rule: Rule
    title: str
    producing_unit: str
    record_type: str
    electronic: bool
    access: Access
    class_title: str | None = None
    reference: str | None = None  # the organisation's own file number, unique within it
    creator: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    volume: int = 1
    language: str | None = None
    keywords: tuple[str, ...] = ()
    description: str | None = None
    status: str = "open"
    retention: str | None = None  # effective retention (the rule's, or an archivist's override)
    action: str | None = None
    retention_overridden: bool = False
    closed_on: str | None = None
    production_year: int | None = None
    retention_starts_on: str | None = None
    disposal_due: str | None = None
    review_task_id: str | None = None  # the open access review, while there is one
    registered_by_job: str | None = None  # the bulk registration that registered it (its items may follow it closed)
    prior_status: str | None = None  # the status a saga's reversible status (being_…) returns the file to
    # ---- transfer (issue 11)
    transfer_id: str | None = None  # the transfer that marked it being_transferred (kept once it left)
    custody: dict[str, Any] | None = None  # who keeps it, when a transfer changed that (None: its producing unit)
    transferred_to: dict[str, Any] | None = None  # residual transfer record: {org, transfer_id, at}
    # ---- destruction (issue 10)
    destruction_run_id: str | None = None  # the destruction run that last marked it (kept after it let go)
    destroyed_at: str | None = None
    version: int = 1
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def with_changes(self, **changes: Any) -> "RecordFile":
        return replace(self, **changes)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference, "class_code": self.class_code,
                "class_title": self.class_title, "scheme_version": self.scheme_version,
                "rule_version": self.rule_version, "rule": self.rule.public(), "title": self.title,
                "producing_unit": self.producing_unit, "creator": self.creator, "record_type": self.record_type,
                "electronic": self.electronic, "start_date": self.start_date, "end_date": self.end_date,
                "volume": self.volume, "language": self.language, "keywords": list(self.keywords),
                "description": self.description, "status": self.status,
                "retention": self.retention or self.rule.retention, "action": self.action or self.rule.action,
                "retention_overridden": self.retention_overridden, "closed_on": self.closed_on,
                "production_year": self.production_year, "retention_starts_on": self.retention_starts_on,
                "disposal_due": self.disposal_due, "access": self.access.public(),
                "review_task_id": self.review_task_id, "prior_status": self.prior_status,
                "transfer_id": self.transfer_id, "custody": self.custody or {"holder": "producing_unit"},
                "transferred_to": self.transferred_to,
                "destruction": self.destruction(), "version": self.version, "created_by": self.created_by,
                "created_at": self.created_at, "updated_at": self.updated_at}

    def destruction(self) -> dict[str, Any] | None:
        """The run holding (being_destroyed) or that destroyed the file; None otherwise."""
        if self.status not in ("being_destroyed", "destroyed") or not self.destruction_run_id:
            return None
        return {"run_id": self.destruction_run_id, "destroyed_at": self.destroyed_at}


@dataclass(frozen=True)
class Item:
    """기록물건 inside a file; its registration number is unique within the organisation."""

    org_id: str
    file_id: str
    id: str
    registration_number: str
    title: str
    access: Access
    author: str | None = None
    date: str | None = None
    pages: int | None = None
    attachments: tuple[str, ...] = ()
    description: str | None = None
    version: int = 1
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def with_changes(self, **changes: Any) -> "Item":
        return replace(self, **changes)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "file_id": self.file_id, "registration_number": self.registration_number,
                "title": self.title, "author": self.author, "date": self.date, "pages": self.pages,
                "attachments": list(self.attachments), "description": self.description,
                "access": self.access.public(), "version": self.version, "created_by": self.created_by,
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class FileBox:
    """A box a file is in, as stacks' box events describe it (records' read model)."""

    org_id: str
    file_id: str
    box_id: str
    barcode: str
    status: str
    location_id: str | None
    location_kind: str | None
    box_version: int

    def public(self) -> dict[str, Any]:
        return {"box_id": self.box_id, "barcode": self.barcode, "status": self.status,
                "location": {"kind": self.location_kind, "id": self.location_id} if self.location_id else None}


@dataclass(frozen=True)
class Box:
    """Records' view of one of stacks' boxes: which files it holds and where it is. The two are kept apart,
    each at the version of the newest event that said it (`version` for where, `files_version` for what),
    since a placement event says nothing of the files and may arrive before the registration that does."""

    org_id: str
    box_id: str
    barcode: str
    status: str
    location_id: str | None
    location_kind: str | None
    version: int
    files: tuple[str, ...] = ()
    files_version: int = 0

    def merged(self, newer: "Box", lists_files: bool) -> "Box":
        """This box with what an event says that is newer than what it holds."""
        where = newer if newer.version > self.version else self
        files_newer = lists_files and newer.version > self.files_version
        return Box(org_id=self.org_id, box_id=self.box_id, barcode=where.barcode, status=where.status,
                   location_id=where.location_id, location_kind=where.location_kind, version=where.version,
                   files=newer.files if files_newer else self.files,
                   files_version=newer.version if files_newer else self.files_version)

    def link(self, file_id: str) -> FileBox:
        return FileBox(org_id=self.org_id, file_id=file_id, box_id=self.box_id, barcode=self.barcode,
                       status=self.status, location_id=self.location_id, location_kind=self.location_kind,
                       box_version=self.version)


@dataclass(frozen=True)
class AccessReview:
    """A re-review of a non-public file's access classification (every 5 years), listable by archivists."""

    org_id: str
    id: str
    file_id: str
    due_on: str
    classification: str
    status: str = "open"
    outcome: str | None = None
    note: str | None = None
    completed_by: str | None = None
    completed_at: str | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""
    file_title: str | None = field(default=None)

    def with_changes(self, **changes: Any) -> "AccessReview":
        return replace(self, **changes)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "file_id": self.file_id, "file_title": self.file_title, "due_on": self.due_on,
                "classification": self.classification, "status": self.status, "outcome": self.outcome,
                "note": self.note, "completed_by": self.completed_by, "completed_at": self.completed_at,
                "version": self.version, "created_at": self.created_at, "updated_at": self.updated_at}
