"""The destruction saga's steps on disposal's side (destruction.asl.json), and its reconcile job.

Each step is keyed by the run and safe to repeat: it moves a run or a file only from the state it expects,
conditionally on what it read, and answers what it answered before when that move was made already. Steps
that take files take one page (at most 25). A read-decide-write that keeps losing races raises
`StepContended` (transient: the saga retries it); `RunRefused` is a business refusal (never retried).

    prepare          the run starts marking (the grace period it will wait was fixed when it was asked for)
    page             a page's files for a phase: mark (holds re-checked, each file claimed in the read model),
                     release, destroy, unmark (compensation)
    record_marks     records' answer to mark_for_destruction: marked, or refused by name
    start_grace      the run waits its grace window (or not: grace 0), unless it was cancelled meanwhile
    confirm          after the window: cancelled? else holds re-checked (held files released), no cancellation
                     from now on: destroying
    record_destroyed records' and stacks' answers for a page: the proof (each component's SHA-256), the register
    certify          the certificate (JSON + PDF, written once under Object Lock); the run completed
    fail_run         after the compensation: every file released, the run failed or cancelled
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Callable, TypeVar

from shared import clock
from shared.events import now_iso, system_actor
from shared.observability import correlation_id
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import certificates as certificates_store
from ..data import committee as committee_store
from ..data import files as files_store
from ..data import holds as holds_store
from ..data import runs as store
from ..domain import certificate, destruction, rules
from ..domain.model import FileView, RegisterEntry, Run, RunFile
from ..integration import workflows
from .common import event, file_subject, run_subject

T = TypeVar("T")
ATTEMPTS = 5
PHASES = ("mark", "release", "destroy", "unmark")


class RunRefused(Exception):
    """Business refusal: the run is not where this step expects it (the saga must not retry)."""


def _retrying(step: Callable[[], T]) -> T:
    return retrying(step, attempts=ATTEMPTS, lost=(PreconditionFailed,),
                    contended="The run kept changing; the step did not complete.")


def _actor(run: Run) -> dict[str, Any]:
    return system_actor(run.org_id, run_id=run.id)


def _run(org_id: str, run_id: str) -> Run:
    run = store.get_run(org_id, run_id, consistent=True)
    if run is None:
        raise RunRefused(f"No destruction run {run_id} in {org_id}.")
    return run


def _move(run: Run, **changes: Any) -> Run:
    return run.with_changes(**changes, version=run.version + 1, updated_at=now_iso())


def _excluded(run: Run, f: RunFile, outcome: str, reason: str):
    return event("FileDestructionExcluded", [file_subject(run.org_id, f.file_id), run_subject(run.org_id, run.id)],
                 {"file_id": f.file_id, "run_id": run.id, "outcome": outcome, "reason": reason}, _actor(run))


def _held(org_id: str) -> Callable[[str, FileView | None], bool]:
    holds = holds_store.active_holds(org_id)
    return lambda file_id, file: bool(rules.holds_on(holds, file_id, file))


# ---------------------------------------------------------------------- prepare
def prepare(org_id: str, run_id: str) -> dict[str, Any]:
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        if run.status == "started":
            run_after = _move(run, status="marking")
            store.save_run(run_after, run)
            run = run_after
        elif destruction.final(run) and run.status != "completed":
            raise RunRefused(f"Run {run_id} is {run.status}.")
        return {"status": run.status, "pages": run.page_count, "grace_days": run.grace_days,
                "executed_by": run.executed_by,
                "supervisor": {"name": run.supervisor.name, "title": run.supervisor.title}}

    return _retrying(go)


# ------------------------------------------------------------------------- page
def page(org_id: str, run_id: str, page_no: int, phase: str) -> dict[str, Any]:
    """The file ids of one page that the phase's records step must take (`empty` when none: the saga skips
    it). Marking re-checks each pending file's holds and claims it in the read model first."""
    if phase not in PHASES:
        raise RunRefused(f"No phase {phase!r}.")
    run = _run(org_id, run_id)
    if phase == "mark":
        _retrying(lambda: _claim_page(run, page_no))
    files = store.page_files(org_id, run_id, page_no)
    wanted = {"mark": lambda f: f.state == "claimed",
              "release": lambda f: f.state == "held" and f.was_marked,
              "destroy": lambda f: f.state == "marked",
              "unmark": lambda f: f.state in ("claimed", "marked") or (f.state in ("held", "released")
                                                                       and f.was_marked)}[phase]
    ids = [f.file_id for f in files if wanted(f)]
    return {"page": page_no, "phase": phase, "file_ids": ids, "empty": not ids}


def _claim_page(run: Run, page_no: int) -> None:
    if run.status not in ("marking", "started"):
        return  # past marking (a restarted saga): nothing new is claimed
    held = _held(run.org_id)
    for f in store.page_files(run.org_id, run.id, page_no):
        if f.state != "pending":
            continue
        view = files_store.get_file(run.org_id, f.file_id, consistent=True)
        if held(f.file_id, view):
            reason = "a hold applies to the file (placed after the committee's decision)"
            store.save_files([(f.with_changes(state="held", reason=reason), f)],
                             [_excluded(run, f, "held", reason)])
            continue
        refused = destruction.claim_refusal(view, run.id)
        if refused:
            store.save_files([(f.with_changes(state="refused", reason=refused), f)],
                             [_excluded(run, f, "refused", refused)])
            continue
        claimed = [(f.with_changes(state="claimed"), f)]
        views = [] if view.in_run == run.id else [(view.with_changes(in_run=run.id), view)]
        store.save_files(claimed, views=views)


# ------------------------------------------------------------------ record_marks
def record_marks(org_id: str, run_id: str, page_no: int, marked: list[str],
                 refused: list[dict[str, Any]]) -> dict[str, Any]:
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        files = {f.file_id: f for f in store.page_files(org_id, run_id, page_no)}
        changes, events, views = [], [], []
        for file_id in marked:
            f = files.get(file_id)
            if f is not None and f.state == "claimed":
                changes.append((f.with_changes(state="marked", was_marked=True), f))
        for r in refused:
            f = files.get(r.get("file_id"))
            if f is None or f.state != "claimed":
                continue
            reason = str(r.get("reason") or "refused")
            changes.append((f.with_changes(state="refused", reason=f"records refused it: {reason}"), f))
            events.append(_excluded(run, f, "refused", reason))
            view = files_store.get_file(org_id, f.file_id, consistent=True)
            if view is not None and view.in_run == run_id:
                views.append((view.with_changes(in_run=None), view))
        store.save_files(changes, events, views)
        return {"marked": sum(1 for a, _ in changes if a.state == "marked"),
                "refused": sum(1 for a, _ in changes if a.state == "refused")}

    return _retrying(go)


# ------------------------------------------------------------------- start_grace
def start_grace(org_id: str, run_id: str) -> dict[str, Any]:
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        if run.cancel_requested_at:
            return {"cancelled": True, "wait": False, "grace_until": run.grace_until}
        if run.status == "marking":
            until = destruction.grace_until(clock.utc_now(), run.grace_days)
            after = _move(run, status="grace", grace_until=until)
            store.save_run(after, run)
            run = after
        elif run.status not in ("grace", "destroying", "completed"):
            raise RunRefused(f"Run {run_id} is {run.status}; it cannot wait its grace period.")
        wait = run.status == "grace" and run.grace_days > 0
        return {"cancelled": False, "wait": wait, "grace_until": run.grace_until}

    return _retrying(go)


# ----------------------------------------------------------------------- confirm
def confirm(org_id: str, run_id: str) -> dict[str, Any]:
    """Right before the irreversible part: a cancellation wins; else every marked file's holds are checked
    again (a hold placed during the window releases its file), and from here the run cannot be cancelled."""
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        if run.status in ("destroying", "completed"):
            return {"outcome": "destroy", "held": 0}
        if run.cancel_requested_at:
            return {"outcome": "cancelled", "held": 0}
        if run.status != "grace":
            raise RunRefused(f"Run {run_id} is {run.status}; it cannot be confirmed.")
        if run.grace_until and destruction.grace_until(clock.utc_now(), 0) < run.grace_until:
            return {"outcome": "wait", "grace_until": run.grace_until}  # woken early: wait the rest
        held = _held(org_id)
        count = 0
        for page_no in range(run.page_count):
            changes, events, views = [], [], []
            for f in store.page_files(org_id, run_id, page_no):
                if f.state != "marked":
                    continue
                view = files_store.get_file(org_id, f.file_id, consistent=True)
                if held(f.file_id, view):
                    reason = "a hold applies to the file (placed during the grace period)"
                    changes.append((f.with_changes(state="held", reason=reason), f))
                    events.append(_excluded(run, f, "held", reason))
                    if view is not None and view.in_run == run_id:
                        views.append((view.with_changes(in_run=None), view))
            store.save_files(changes, events, views)
            count += len(changes)
        store.save_run(_move(run, status="destroying"), run, not_cancelled=True)
        return {"outcome": "destroy", "held": count}

    return _retrying(go)


# -------------------------------------------------------------- record_destroyed
def record_destroyed(org_id: str, run_id: str, page_no: int, destroyed: list[dict[str, Any]],
                     skipped: list[dict[str, Any]], boxes: list[dict[str, Any]]) -> dict[str, Any]:
    """records' destroy_files and stacks' destroy_contents answers for one page: each destroyed file keeps its
    proof (every component's SHA-256 and deleted versions, the boxes) and gets its register line."""
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        files = {f.file_id: f for f in store.page_files(org_id, run_id, page_no)}
        by_file: dict[str, list[dict[str, Any]]] = {}
        for box in boxes:
            for file_id in box.get("files_destroyed") or ():
                by_file.setdefault(file_id, []).append({"box_id": box.get("box_id"), "barcode": box.get("barcode"),
                                                        "box_destroyed": bool(box.get("box_destroyed"))})
        stamp = now_iso()
        changes, register = [], []
        for d in destroyed:
            f = files.get(d.get("file_id"))
            if f is None or f.state != "marked":
                continue
            components = tuple({k: c.get(k) for k in ("component_id", "item_id", "name", "sha256", "size",
                                                       "versions_deleted")} for c in d.get("components") or ())
            after = f.with_changes(state="destroyed", title=d.get("title") or f.title, components=components,
                                   boxes=tuple(by_file.get(f.file_id, ())), destroyed_at=stamp)
            changes.append((after, f))
            register.append(RegisterEntry(
                org_id=org_id, destroyed_at=stamp, run_id=run_id, file_id=f.file_id, title=after.title,
                producing_unit=f.producing_unit, class_code=f.class_code, retention=f.retention,
                meeting_id=f.meeting_id, components=len(components), executed_by=run.executed_by,
                supervisor=run.supervisor.name + (f" ({run.supervisor.title})" if run.supervisor.title else "")))
        for s in skipped:
            f = files.get(s.get("file_id"))
            if f is not None and f.state == "marked":
                changes.append((f.with_changes(state="refused",
                                               reason=f"records did not destroy it: {s.get('reason')}"), f))
        store.save_files(changes, register=register)
        return {"destroyed": len(register), "skipped": len(changes) - len(register)}

    return _retrying(go)


# ----------------------------------------------------------------------- certify
def certify(org_id: str, run_id: str) -> dict[str, Any]:
    """The certificate, made once from the run's files (written once to the locked bucket: a repeated step
    reads back the first one), then the run completed with its counts and the certificate's hashes."""
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        if run.status == "completed":
            return {"status": "completed", "sha256": run.certificate_sha256}
        if run.status != "destroying":
            raise RunRefused(f"Run {run_id} is {run.status}; it cannot be certified.")
        counts = {"destroyed": 0, "held": 0, "refused": 0, "released": 0, "components": 0}
        meeting_ids: set[str] = set()
        for f in store.all_files(org_id, run_id):
            if f.state in ("destroyed", "held", "refused", "released"):
                counts[f.state] += 1
            if f.state == "destroyed":
                counts["components"] += len(f.components)
                if f.meeting_id:
                    meeting_ids.add(f.meeting_id)
        meetings = {m: committee_store.get_meeting(org_id, m) for m in sorted(meeting_ids)}
        members = {}
        for m in meetings.values():
            for member_id in (m.present if m else ()):
                member = committee_store.get_member(org_id, member_id)
                if member:
                    members[member_id] = member
        if certificates_store.exists(org_id, run_id, "json"):
            document = certificates_store.read(org_id, run_id, "json")
        else:
            made = certificate.build(run, store.all_files(org_id, run_id), {k: v for k, v in meetings.items() if v},
                                     members, now_iso())
            document = certificates_store.put_once(org_id, run_id, "json", certificate.to_json(made))
        json_hash = certificate.sha256(document)
        if certificates_store.exists(org_id, run_id, "pdf"):
            pdf = certificates_store.read(org_id, run_id, "pdf")
        else:
            pdf = certificates_store.put_once(org_id, run_id, "pdf",
                                              certificate.render_pdf(json.loads(document), json_hash))
        stamp = now_iso()
        after = _move(run, status="completed", completed_at=stamp, certificate_sha256=json_hash,
                      certificate_pdf_sha256=certificate.sha256(pdf), **counts)
        store.save_run(after, run, (event("DestructionCompleted", [run_subject(org_id, run_id)],
                                          {"run_id": run_id, "counts": counts, "certificate_sha256": json_hash,
                                           "executed_by": run.executed_by,
                                           "supervisor": {"name": run.supervisor.name,
                                                          "title": run.supervisor.title}}, _actor(run)),))
        return {"status": "completed", "sha256": json_hash, **counts}

    return _retrying(go)


# ----------------------------------------------------------------------- fail_run
def fail_run(org_id: str, run_id: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """After the compensation unmarked every page: every file the run still holds is released and the run
    ends, cancelled (asked for) or failed (with the error). Tolerates nothing to undo; refuses a run that
    destroyed anything (the saga never compensates past the irreversible step)."""
    def go() -> dict[str, Any]:
        run = _run(org_id, run_id)
        if run.status in ("failed", "cancelled"):
            return {"status": run.status, "already": True}
        if run.status == "completed":
            raise RunRefused(f"Run {run_id} completed; nothing is undone.")
        counts = {"destroyed": 0, "held": 0, "refused": 0, "released": 0, "components": 0}
        for page_no in range(run.page_count):
            changes, views = [], []
            for f in store.page_files(org_id, run_id, page_no):
                if f.state == "destroyed":
                    raise RunRefused(f"Run {run_id} destroyed file {f.file_id}; it cannot fail.")
                if f.state in ("pending", "claimed", "marked"):
                    changes.append((f.with_changes(state="released", reason="the run was "
                                                   + ("cancelled" if run.cancel_requested_at else "stopped")), f))
                view = files_store.get_file(org_id, f.file_id, consistent=True)
                if view is not None and view.in_run == run_id:
                    views.append((view.with_changes(in_run=None), view))
            store.save_files(changes, views=views)
            for f in store.page_files(org_id, run_id, page_no):
                if f.state in counts:
                    counts[f.state] += 1
        cancelled = bool(run.cancel_requested_at)
        failure = None if cancelled else _failure_text(error)
        after = _move(run, status="cancelled" if cancelled else "failed", failure=failure, completed_at=now_iso(),
                      **counts)
        kind = "DestructionRunCancelled" if cancelled else "DestructionRunFailed"
        store.save_run(after, run, (event(kind, [run_subject(org_id, run_id)],
                                          {"run_id": run_id, "counts": counts, "error": failure},
                                          _actor(run)),))
        return {"status": after.status, "already": False}

    return _retrying(go)


def _failure_text(error: dict[str, Any] | None) -> str:
    name = (error or {}).get("Error", "DestructionRunFailed")
    cause = str((error or {}).get("Cause", ""))
    try:
        cause = str(json.loads(cause).get("errorMessage", cause))
    except (ValueError, AttributeError):
        pass
    return f"{name}: {cause[:300]}".strip().rstrip(":")


# ---------------------------------------------------------------- reconcile job
def reconcile_runs(now: datetime | None = None, settle: timedelta = timedelta(minutes=10)) -> dict[str, int]:
    """Scheduled: a run that has not ended, unchanged for a while, with no execution running, gets its saga
    again (a start lost when the API wrote the run, a compensation or a step that gave up). Steps are
    idempotent per run, so a restart finishes (past the grace window) or undoes (a cancellation) what the
    first execution left."""
    cutoff = clock.iso_instant((now or clock.utc_now()) - settle)
    counts = {"stuck": 0, "restarted": 0}
    stuck = store.stale_runs(cutoff)
    if not stuck:
        return counts
    running = workflows.running_names()
    for run in stuck:
        counts["stuck"] += 1
        if any(name == run.id or name.startswith(run.id + "-") for name in running):
            continue
        cancel = bool(run.cancel_requested_at)
        payload = workflows.saga_input(run.org_id, run.id, run.page_count, correlation_id(), cancel=cancel)
        name = f"{run.id}-cancel" if cancel else run.id
        stamp = int((now or clock.utc_now()).timestamp())
        if workflows.start(name, payload) or workflows.start(f"{name}-r{stamp}", payload):
            counts["restarted"] += 1
    return counts
