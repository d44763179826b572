"""Bulk work of stacks that outlives a request, as jobs: box registration from CSV or JSON, and a
bulk placement above the synchronous maximum (`MAX_SYNC_PLACEMENTS`).

Each row is one box registered with exactly the rules of `POST /boxes` (`boxes.new_box`: the
container profile must exist, the barcode and RFID tag must be free; the row is validated against
the same JSON Schema as the route's body), all-or-nothing: the box, its label claims and its
`BoxRegistered` event land together or the row is reported with its problem. The job runs in
stacks' jobs function (shared.jobs); its rows land a group per transaction.

A placement job places a group of rows (GROUP_ROWS) at a time exactly as a synchronous bulk call
does (`place_many`: a shelf's boxes in one transaction, its counters moved once under the capacity
condition, each box's history and event with it); the group's progress and row errors follow in the
next transaction. A group redone after a crash in between finds its boxes already there and answers
`unchanged` (nothing written twice, no second event). A refused row (no such box or shelf, a full
shelf, a box that cannot move) is reported with its problem.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from shared.auth import Caller
from shared.idempotency import derived_id
from shared.jobs import Job, JobKind, RowError
from shared.problems import NotFound, ServiceUnavailable

from ..data import boxes as box_store
from ..data import jobs as store
from ..domain.rules import MAX_SYNC_PLACEMENTS, manager_org, reader_org
from .boxes import _container, new_box
from .placement import bulk_place, check_placements, place_many

REGISTER_BOXES = "register_boxes"
PLACE_BOXES = "place_boxes"
CSV_LIST_SEPARATOR = "|"  # a CSV cell holding a list (contents, files): items separated by |
CSV_NUMBERS = ("weight_kg",)
CSV_LISTS = ("contents", "files")


def submit_registration(caller: Caller, rows: list[dict[str, Any]], *, from_csv: bool,
                        idempotency_key: str | None) -> Job:
    """Store the upload's rows as a `register_boxes` job (202): nothing is registered yet. CSV cells are
    text, so numbers and lists are read from them first; whatever else is wrong with a row is that row's
    error (what is wrong with the upload as a whole was a 4xx already)."""
    org_id = manager_org(caller)
    if from_csv:
        rows = [_from_csv(row) for row in rows]
    job_id = derived_id(f"stacks-job|{caller.user_id}", idempotency_key)
    if idempotency_key:
        try:  # a key names one job, also once its idempotency record has expired
            return store.JOBS.get(org_id, job_id)
        except NotFound:
            pass
    return store.JOBS.submit(org_id, REGISTER_BOXES, rows, actor=caller.as_actor(), job_id=job_id,
                             params={"source": "csv" if from_csv else "json"})


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in CSV_NUMBERS:
        if isinstance(out.get(name), str):
            try:
                out[name] = float(out[name])
            except ValueError:
                pass  # left as text: the schema names the field
    for name in CSV_LISTS:
        if isinstance(out.get(name), str):
            out[name] = [part.strip() for part in out[name].split(CSV_LIST_SEPARATOR) if part.strip()]
    return out


def register_row(tx: Any, job: Job, row_no: int, row: dict[str, Any], *,
                 container: Callable[[str, str], Any] = _container) -> None:
    """One row of a registration job: the box as `POST /boxes` would make it, staged in the group's `tx`."""
    box_id = derived_id(f"stacks-job|{job.id}", str(row_no))  # the same box if the row is ever redone
    # No look-up of the labels first: the claims' conditions refuse a label in use (a group holding one is
    # redone row by row), so the common case costs no read per row.
    box, registered = new_box(job.org_id, row, box_id, job.created_by, container=container, check_labels=False)
    box_store.stage_new_box(tx, box, registered)


def place_in_bulk(caller: Caller, body: dict[str, Any], time_left_ms: Callable[[], int] | None,
                  idempotency_key: str | None) -> dict[str, Any] | Job:
    """`POST /placements/bulk`: up to MAX_SYNC_PLACEMENTS boxes within the call (every box's result), more as
    a `place_boxes` job (202). Either way a bad list is refused whole first (400), nothing written."""
    if len(body["placements"]) <= MAX_SYNC_PLACEMENTS:
        return bulk_place(caller, body, time_left_ms)
    org_id = manager_org(caller)
    check_placements(body["placements"])
    job_id = derived_id(f"stacks-job|{caller.user_id}", idempotency_key)
    if idempotency_key:
        try:
            return store.JOBS.get(org_id, job_id)
        except NotFound:
            pass
    params = {"reason": body["reason"]} if body.get("reason") else {}
    return store.JOBS.submit(org_id, PLACE_BOXES, body["placements"], actor=caller.as_actor(), job_id=job_id,
                             params=params)


def place_rows(job: Job, rows: list[tuple[int, dict[str, Any]]]) -> list[RowError | None]:
    """A group of a placement job's rows, placed as a synchronous bulk call places them (`place_many`: the
    boxes read together, each shelf's boxes written together, a refused group redone box by box); a row
    placed before (a group redone after a crash) answers `unchanged`. A refused box is its row's error;
    a 5xx leaves the whole group to be redone."""
    results = place_many(job.org_id, [row for _, row in rows], job.created_by, job.params.get("reason"))["results"]
    errors: list[RowError | None] = []
    for (row_no, _), result in zip(rows, results, strict=True):
        problem = result.get("problem") if result["outcome"] == "failed" else None
        if problem and problem.get("status", 500) >= 500:
            raise ServiceUnavailable(f"Row {row_no}: {problem.get('detail')}")
        errors.append(RowError(row_no, problem.get("detail", ""), problem.get("errors", [])) if problem else None)
    return errors


def run_job(org_id: str, job_id: str, time_left_ms: Callable[[], int], lease_ms: int, *,
            row_schemas: dict[str, dict[str, Any]]) -> bool:
    """Work on a job until done (False) or time runs short (True: continue it). `row_schemas` are the
    routes' body schemas (the entry point passes them: logic does not import the HTTP shapes)."""
    profiles: dict[tuple[str, str], Any] = {}

    def container(org: str, profile_id: str) -> Any:  # one read per profile per run, not per row
        if (org, profile_id) not in profiles:
            profiles[(org, profile_id)] = _container(org, profile_id)
        return profiles[(org, profile_id)]

    kinds = {REGISTER_BOXES: JobKind(REGISTER_BOXES, partial(register_row, container=container),
                                     row_schemas.get(REGISTER_BOXES)),
             PLACE_BOXES: JobKind(PLACE_BOXES, row_schema=row_schemas.get(PLACE_BOXES), apply_group=place_rows)}
    return store.JOBS.run(org_id, job_id, kinds, time_left_ms=time_left_ms, lease_ms=lease_ms)


# ---------------------------------------------------------------------- reads
def get_job(caller: Caller, job_id: str) -> Job:
    return store.JOBS.get(reader_org(caller), job_id)


def list_jobs(caller: Caller, limit: int, cursor: str | None) -> tuple[list[Job], str | None]:
    return store.JOBS.list(reader_org(caller), limit, cursor)


def job_errors(caller: Caller, job_id: str, limit: int, cursor: str | None) -> tuple[list[RowError], str | None]:
    return store.JOBS.errors(reader_org(caller), job_id, limit, cursor)
