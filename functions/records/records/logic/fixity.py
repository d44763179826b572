"""Fixity checks (고정성 점검): the scheduled run that re-reads captured components, its reports, and the
follow-ups archivists resolve.

A run takes the components whose last check is older than the cycle (FIXITY_CYCLE_DAYS, default
365), oldest first, within the day's budget (FIXITY_MAX_COMPONENTS, FIXITY_MAX_BYTES) and the
function's time (FIXITY_MAX_SECONDS), reads each captured version as a stream and recomputes its
SHA-256. Intact components are recorded in batches (one transaction per 100); a failure (missing,
changed, or written over) emits FixityFailed with an open follow-up in one transaction. Each
organisation gets a report of its part of the run.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso, system_actor
from shared.idempotency import derived_id
from shared.problems import Conflict

from ..data import components as store
from ..domain import access as access_rules
from ..domain import destruction as destruction_rules
from ..domain import fixity as rules
from ..domain.components import Component
from ..domain.fixity import Budget, FollowUp, RunReport
from .components import rules_event



def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def budget() -> Budget:
    return Budget(max_components=_setting("FIXITY_MAX_COMPONENTS", rules.DEFAULT_MAX_COMPONENTS),
                  max_bytes=_setting("FIXITY_MAX_BYTES", rules.DEFAULT_MAX_BYTES))


def check(component: Component) -> tuple[rules.Finding | None, int]:
    """The verdict on one component, and the bytes read. One GET when the captured version is the
    key's current one (the usual case); a second for the captured version when something sits on top."""
    current = store.read_object(component.object_key)
    read = current[1] if current else 0
    if current is not None and current[0] == component.object_version:
        return rules.judge(component.size, component.sha256, found=True, found_size=current[1],
                           found_sha256=current[2]), read
    captured = store.read_object(component.object_key, component.object_version)
    if captured is None:
        return rules.judge(component.size, component.sha256, found=False), read
    return rules.judge(component.size, component.sha256, found=True, found_size=captured[1],
                       found_sha256=captured[2], current=False), read + captured[1]


def run_fixity(now: str | None = None) -> dict[str, Any]:
    """One fixity run over every organisation (the schedule's job)."""
    started = datetime.fromisoformat(now.replace("Z", "+00:00")) if now else datetime.now(timezone.utc)
    # A run given its `now` (a replayed or tested run) stamps its checks with that instant, not the wall clock.
    clock = (lambda: started.strftime("%Y-%m-%dT%H:%M:%S.000Z")) if now else now_iso
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    started_at = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    deadline = time.monotonic() + _setting("FIXITY_MAX_SECONDS", 600)
    limits = budget()
    total = RunReport(run_id=run_id, started_at=started_at)
    reports: dict[str, RunReport] = {}
    due = store.due_components(rules.due_before(started, _setting("FIXITY_CYCLE_DAYS", rules.DEFAULT_CYCLE_DAYS)))
    passed: list[Component] = []
    taken = 0
    for component in rules.within_budget(due, lambda c: c.size, limits):
        taken += 1
        finding, read = check(component)
        stamp = clock()
        report = reports.setdefault(component.org_id, RunReport(run_id=run_id, started_at=started_at,
                                                                org_id=component.org_id))
        for r in (report, total):
            r.count(component.id, component.file_id, component.item_id, read, finding)
        if finding is None:
            passed.append(component)
            if len(passed) >= 100:
                store.record_checks(passed, stamp)
                passed = []
        else:
            _fail(component, finding, run_id, stamp)
        if time.monotonic() > deadline:
            break
    store.record_checks(passed, clock())
    # Anything still due after the budget (or the time) ran out waits for the next run.
    remaining = next(iter(store.due_components(rules.due_before(started, _setting(
        "FIXITY_CYCLE_DAYS", rules.DEFAULT_CYCLE_DAYS)), page_size=1)), None) is not None
    finished = clock()
    for r in (*reports.values(), total):
        r.finished_at, r.backlog = finished, remaining
    store.save_reports(list(reports.values()))
    return {**total.public(), "organisations": len(reports)}


def check_now(caller: Caller, file_id: str, item_id: str, component_id: str) -> dict[str, Any]:
    """An archivist's on-demand check of one component (after a restore, or before a transfer): the same
    re-read and verdict as the scheduled run, recorded the same way (a failure opens a follow-up)."""
    org_id = access_rules.registrar_org(caller)
    component = require_found(store.get_component(org_id, file_id, item_id, component_id, consistent=True),
                              "component")
    destruction_rules.refuse_destroyed_content(component)  # nothing left to read: 410, not a failed check
    finding, read = check(component)
    stamp = now_iso()
    if finding is None:
        store.record_checks([component], stamp)
    else:
        _fail(component, finding, "on-demand-" + stamp.replace("-", "").replace(":", "")[:15] + "Z", stamp,
              actor=caller.as_actor())
    return {"component_id": component.id, "status": "ok" if finding is None else "failed", "checked_at": stamp,
            "bytes_read": read, "reason": finding.reason if finding else None,
            "detail": finding.detail if finding else None}


def _fail(component: Component, finding: rules.Finding, run_id: str, stamp: str,
          actor: dict[str, Any] | None = None) -> None:
    org_id = component.org_id
    follow_up = FollowUp(org_id=org_id, id=derived_id(f"fixity|{component.id}", run_id), component_id=component.id,
                         file_id=component.file_id, item_id=component.item_id, reason=finding.reason,
                         detail=finding.detail, run_id=run_id, created_at=stamp, updated_at=stamp)
    payload = {"file_id": component.file_id, "item_id": component.item_id, "component_id": component.id,
               "reason": finding.reason, "detail": finding.detail, "expected": {"size": component.size,
                                                                                "sha256": component.sha256},
               "found": {"size": finding.found_size, "sha256": finding.found_sha256},
               "object_version": component.object_version, "run_id": run_id, "follow_up_id": follow_up.id}
    store.record_failure(component, stamp, follow_up, rules_event(
        "FixityFailed", org_id, component.file_id, component.item_id, component.id, payload,
        actor or system_actor(org_id, job="fixity", run_id=run_id)))


# -------------------------------------------------------------- reports, follow-ups
def _reader_org(caller: Caller) -> str:
    """Reports and follow-ups name components of every access class: archivists, auditors and admins."""
    return caller.require_org(*access_rules.FULL_VIEW, holdings="records")


def list_fixity_reports(caller: Caller, limit: int, cursor: str | None):
    return store.list_reports(_reader_org(caller), limit, cursor)


def get_fixity_report(caller: Caller, run_id: str) -> RunReport:
    return require_found(store.get_report(_reader_org(caller), run_id), "fixity run")


def list_fixity_follow_ups(caller: Caller, status: str | None, limit: int, cursor: str | None):
    return store.list_follow_ups(_reader_org(caller), status, limit, cursor)


def get_fixity_follow_up(caller: Caller, follow_up_id: str) -> FollowUp:
    return require_found(store.get_follow_up(_reader_org(caller), follow_up_id),
                         "follow-up")


def resolve_fixity_follow_up(caller: Caller, follow_up_id: str, body: dict[str, Any], expected_version: int) -> FollowUp:
    """Archivists and admins say what was done (restored from a copy, replaced by a new component, a false
    alarm...); FixityFollowUpResolved names the file, item and component."""
    org_id = access_rules.registrar_org(caller)
    before = require_found(store.get_follow_up(org_id, follow_up_id), "follow-up")
    require_version(before, expected_version, "follow-up")
    if before.status == "resolved":
        raise Conflict("This follow-up is already resolved.")
    stamp = now_iso()
    after = before.with_changes(status="resolved", resolution=body["resolution"], note=body.get("note"),
                                resolved_by=caller.user_id, resolved_at=stamp, version=before.version + 1,
                                updated_at=stamp)
    store.save_follow_up(after, before, rules_event(
        "FixityFollowUpResolved", org_id, before.file_id, before.item_id, before.component_id,
        {"follow_up": after.public()}, caller.as_actor()))
    return after

