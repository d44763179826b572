"""Destruction runs (폐기 집행) as the routes see them: the organisation's grace period, asking for a run (the
files the committee decided to destroy, each refused one named), reading runs and their files, cancelling
during the grace window, the certificate and the destruction register."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import Subject, now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id, logger
from shared.problems import Conflict

from ..data import certificates as certificates_store
from ..data import files as files_store
from ..data import holds as holds_store
from ..data import reviews as reviews_store
from ..data import runs as store
from ..domain import destruction, rules
from ..domain.access import holder_org, professional_org, reader_org
from ..domain.model import FileReview, Run, RunFile, Settings, Supervisor
from ..domain.problems import FilesNotDestroyable, RunNotCancellable
from ..integration import workflows
from .common import event, list_subject, refuse_if, run_subject


# --------------------------------------------------------------------- settings
def get_settings(caller: Caller) -> Settings:
    return store.get_settings(reader_org(caller))


def put_settings(caller: Caller, body: dict[str, Any], expected_version: int) -> Settings:
    org_id = holder_org(caller)
    before = store.get_settings(org_id, consistent=True)
    require_version(before, expected_version, "settings")
    after = before.with_changes(grace_days=body["grace_days"], updated_by=caller.user_id, updated_at=now_iso(),
                                version=before.version + 1)
    store.save_settings(after, before, event("DisposalSettingsChanged", [Subject("organisation", org_id, org_id)],
                                             after.public(), caller.as_actor()))
    return after


# ------------------------------------------------------------------ start a run
def _list_entries(org_id: str, list_id: str):
    cursor = None
    while True:
        entries, cursor = reviews_store.list_entries(org_id, list_id, 100, cursor)
        yield from entries
        if not cursor:
            return


def _chosen(org_id: str, body: dict[str, Any], errors: list[dict[str, Any]]) -> list[tuple[str, str, FileReview | None]]:
    """(field, file id, its listed entry) of every file the request names, in order."""
    list_id = body.get("review_list_id")
    if list_id and reviews_store.get_list(org_id, list_id) is None:
        errors.append({"field": "review_list_id", "message": "no such review list in your organisation"})
        return []
    if body.get("file_ids"):
        chosen = []
        for i, file_id in enumerate(dict.fromkeys(body["file_ids"])):
            view = files_store.get_file(org_id, file_id)
            where = list_id or (view.listed_in if view else None)
            entry = reviews_store.get_entry(org_id, where, file_id) if where else None
            chosen.append((f"file_ids.{i}", file_id, entry))
        return chosen
    if list_id:
        return [(f"review_list_id:{e.file_id}", e.file_id, e) for e in _list_entries(org_id, list_id)
                if e.decision is not None and e.decision.decision == "destroy"]
    errors.append({"field": "file_ids", "message": "name the files, or a review list (review_list_id)"})
    return []


def start_run(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Run:
    """Files whose committee decision is destroy, under no hold, in no run and not destroyed; each one refused
    is named (409). The run and its DestructionRunStarted event are one write; then its saga starts."""
    org_id = professional_org(caller)
    errors: list[dict[str, Any]] = []
    chosen = _chosen(org_id, body, errors)
    refuse_if(errors)
    if not chosen:
        refuse_if([{"field": "review_list_id", "message": "no file of the list was decided for destruction"}],
                  FilesNotDestroyable)
    if len(chosen) > destruction.MAX_RUN_FILES:
        refuse_if([{"field": "file_ids", "message": f"at most {destruction.MAX_RUN_FILES} files a run"}])
    holds = holds_store.active_holds(org_id)
    run_id = derived_id(f"run|{org_id}|{caller.user_id}", idempotency_key)
    files: list[RunFile] = []
    for position, (field, file_id, entry) in enumerate(chosen):
        view = files_store.get_file(org_id, file_id, consistent=True)
        problem = destruction.refusal(file_id, view, entry, bool(rules.holds_on(holds, file_id, view)))
        if problem:
            errors.append({"field": field, "message": f"{file_id}: {problem}"})
            continue
        decision = entry.decision
        files.append(RunFile(org_id=org_id, run_id=run_id, page=destruction.page_of(len(files)), file_id=file_id,
                             list_id=entry.list_id, title=view.title, producing_unit=view.producing_unit,
                             class_code=view.class_code, retention=view.retention, meeting_id=decision.meeting_id,
                             decided_at=decision.recorded_at,
                             votes=tuple({"member_id": v.member_id, "vote": v.vote} for v in decision.votes)))
    refuse_if(errors, FilesNotDestroyable)
    settings = store.get_settings(org_id)
    supervisor = body["supervisor"]
    stamp = now_iso()
    run = Run(org_id=org_id, id=run_id, status="started", review_list_id=body.get("review_list_id"),
              file_count=len(files), page_count=len(destruction.pages(len(files))),
              executed_by=body.get("executed_by") or caller.user_id,
              supervisor=Supervisor(supervisor["name"], supervisor.get("title")), started_by=caller.user_id,
              started_at=stamp, grace_days=settings.grace_days, updated_at=stamp)
    subjects = [run_subject(org_id, run_id)] + ([list_subject(org_id, run.review_list_id)]
                                                if run.review_list_id else [])
    store.create_run(run, files, event("DestructionRunStarted", subjects,
                                       {**run.public(), "file_ids": [f.file_id for f in files[:100]]},
                                       caller.as_actor()))
    _start(run, cancel=False)
    return run


def _start(run: Run, cancel: bool) -> None:
    try:
        workflows.start(f"{run.id}-cancel" if cancel else run.id,
                        workflows.saga_input(run.org_id, run.id, run.page_count, correlation_id(), cancel=cancel))
    except Exception:  # the run is recorded; the reconcile job starts its saga
        logger.exception("could not start the destruction saga; the reconcile job will", extra={"run_id": run.id})


# ------------------------------------------------------------------------ reads
def get_run(caller: Caller, run_id: str) -> Run:
    return require_found(store.get_run(reader_org(caller), run_id), "destruction run")


def list_runs(caller: Caller, limit: int, cursor: str | None):
    return store.list_runs(reader_org(caller), limit, cursor)


def list_run_files(caller: Caller, run_id: str, limit: int, cursor: str | None):
    run = get_run(caller, run_id)
    return store.list_files(run.org_id, run.id, limit, cursor)


# ----------------------------------------------------------------------- cancel
def cancel_run(caller: Caller, run_id: str, expected_version: int) -> Run:
    """Before the irreversible step only. The run says so at once; the saga releases every file (during the
    grace window its waiting execution is stopped and the compensation starts now; while it is still marking,
    it goes to the compensation when the marking ends)."""
    org_id = professional_org(caller)
    before = require_found(store.get_run(org_id, run_id, consistent=True), "destruction run")
    require_version(before, expected_version, "destruction run")
    if not destruction.cancellable(before):
        raise RunNotCancellable(f"The run is {before.status}" + (" and was cancelled already"
                                                                 if before.cancel_requested_at else "") +
                                "; only a run in its grace window or before can be cancelled.")
    stamp = now_iso()
    after = before.with_changes(cancel_requested_by=caller.user_id, cancel_requested_at=stamp,
                                version=before.version + 1, updated_at=stamp)
    store.save_run(after, before, (event("DestructionRunCancelRequested", [run_subject(org_id, run_id)],
                                         {"run_id": run_id, "status": before.status}, caller.as_actor()),),
                   not_cancelled=True)
    if before.status == "grace":
        try:
            workflows.stop(run_id, f"cancelled by {caller.user_id}")
        except Exception:  # the waiting execution sees the cancellation when its window ends
            logger.exception("could not stop the waiting execution", extra={"run_id": run_id})
        _start(after, cancel=True)
    return after


# ------------------------------------------------------------------ certificate
def _completed(caller: Caller, run_id: str) -> Run:
    run = get_run(caller, run_id)
    if run.status != "completed":
        raise Conflict(f"The run is {run.status}; its certificate is made when it completes.")
    return run


def certificate(caller: Caller, run_id: str) -> dict[str, Any]:
    import json

    run = _completed(caller, run_id)
    return json.loads(certificates_store.read(run.org_id, run.id, "json"))


def certificate_pdf(caller: Caller, run_id: str) -> dict[str, Any]:
    run = _completed(caller, run_id)
    return {"url": certificates_store.download_url(run.org_id, run.id, "pdf"),
            "expires_in": certificates_store.DOWNLOAD_TTL_SECONDS, "sha256": run.certificate_pdf_sha256,
            "media_type": "application/pdf"}


# --------------------------------------------------------------------- register
def register(caller: Caller, since: str | None, until: str | None, limit: int, cursor: str | None):
    """The destruction register (폐기 대장): one line per destroyed file, oldest first."""
    return store.list_register(reader_org(caller), since or "0000", until or "9999", limit, cursor)


def register_csv(caller: Caller, since: str | None, until: str | None) -> str:
    return destruction.register_csv(store.register_lines(reader_org(caller), since or "0000", until or "9999"))
