"""Fixity (고정성 점검): every captured component's bytes are re-read on a cycle and their SHA-256
recomputed; what the check finds, how a day's work is bounded, and what a run reports.

The cycle (default a year) says how old a component's last check may get. Each run takes the
components whose check is oldest (never-checked ones by their capture time) up to a budget of
components and bytes, so a day's reading is bounded whatever the holdings; one component larger
than the byte budget is still checked when its turn comes (alone), or it would never be.
A run's `backlog` says whether the budget keeps up with the cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, TypeVar

DEFAULT_CYCLE_DAYS = 365
DEFAULT_MAX_COMPONENTS = 2000
DEFAULT_MAX_BYTES = 50 * 1024 ** 3  # 50 GiB a day: ~5 minutes of reading at S3's per-stream pace
FAILURE_REASONS = ("missing", "size_mismatch", "checksum_mismatch", "superseded")
FOLLOW_UP_STATUSES = ("open", "resolved")
RESOLUTIONS = ("restored", "replaced_by_new_component", "false_alarm", "other")
MAX_FAILURES_IN_REPORT = 100  # a report lists this many failures; counts are always complete

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    max_components: int = DEFAULT_MAX_COMPONENTS
    max_bytes: int = DEFAULT_MAX_BYTES


def due_before(now: datetime, cycle_days: int) -> str:
    """Components last checked (or captured) before this instant are due."""
    return (now.astimezone(timezone.utc) - timedelta(days=cycle_days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def within_budget(candidates: Iterable[T], size_of, budget: Budget) -> Iterator[T]:
    """The oldest-first candidates a run may check: up to `max_components`, and up to `max_bytes`
    (the first candidate always, so an object larger than the budget is not skipped forever)."""
    count = used = 0
    for candidate in candidates:
        size = size_of(candidate)
        if count >= budget.max_components or (count and used + size > budget.max_bytes):
            return
        count += 1
        used += size
        yield candidate


@dataclass(frozen=True)
class Finding:
    """What re-reading one component found: None when it is intact."""

    reason: str  # one of FAILURE_REASONS
    detail: str
    found_size: int | None = None
    found_sha256: str | None = None


def judge(size: int, sha256: str, *, found: bool, found_size: int | None = None, found_sha256: str | None = None,
          current: bool = True) -> Finding | None:
    """The verdict on one component from what S3 gave back for its captured version.
    `current` is False when another version or a delete marker sits on top of it at its key."""
    if not found:
        return Finding("missing", "The captured object version is gone from the records bucket.")
    if found_size != size:
        return Finding("size_mismatch", f"The object holds {found_size} bytes; {size} were captured.",
                       found_size, found_sha256)
    if found_sha256 != sha256:
        return Finding("checksum_mismatch", f"The object's SHA-256 is {found_sha256}; {sha256} was captured.",
                       found_size, found_sha256)
    if not current:
        return Finding("superseded", "The captured version is intact, but something was written over it at its key.",
                       found_size, found_sha256)
    return None


@dataclass
class RunReport:
    """Counts of one run in one organisation (and, summed, of the whole run)."""

    run_id: str
    started_at: str
    org_id: str | None = None
    finished_at: str | None = None
    checked: int = 0
    ok: int = 0
    failed: int = 0
    bytes_read: int = 0
    backlog: bool = False  # more components were due than the budget allowed
    failures: list[dict[str, Any]] | None = None  # the first MAX_FAILURES_IN_REPORT

    def count(self, component_id: str, file_id: str, item_id: str, size_read: int,
              finding: Finding | None) -> None:
        self.checked += 1
        self.bytes_read += size_read
        if finding is None:
            self.ok += 1
            return
        self.failed += 1
        self.failures = self.failures or []
        if len(self.failures) < MAX_FAILURES_IN_REPORT:
            self.failures.append({"component_id": component_id, "file_id": file_id, "item_id": item_id,
                                  "reason": finding.reason, "detail": finding.detail})

    def public(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
                "checked": self.checked, "ok": self.ok, "failed": self.failed, "bytes_read": self.bytes_read,
                "backlog": self.backlog, "failures": list(self.failures or ())}


@dataclass(frozen=True)
class FollowUp:
    """An open question for archivists after a failed check (사후조치): which component, what was found,
    and, once resolved, what was done."""

    org_id: str
    id: str
    component_id: str
    file_id: str
    item_id: str
    reason: str
    detail: str
    run_id: str
    status: str = "open"
    resolution: str | None = None
    note: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "component_id": self.component_id, "file_id": self.file_id, "item_id": self.item_id,
                "reason": self.reason, "detail": self.detail, "run_id": self.run_id, "status": self.status,
                "resolution": self.resolution, "note": self.note, "resolved_by": self.resolved_by,
                "resolved_at": self.resolved_at, "version": self.version, "created_at": self.created_at,
                "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "FollowUp":
        return replace(self, **changes)
