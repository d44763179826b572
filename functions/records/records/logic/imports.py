"""Bulk registration of files and items (a long job, shared.jobs): submitting an upload, reading jobs
and their row errors, and applying one row inside the job's group transaction.

Rows are applied in order, in groups (one transaction each, with the job's progress). What a row needs
to know is kept for the rest of the run (this job's state): the current scheme version and its unit
tasks, and the files by reference, so a group of items costs no reads; an item row adds a condition on
its file once per transaction (DynamoDB refuses two operations on one item in a transaction), unless
its file is written in that same transaction.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable
from weakref import WeakKeyDictionary

from shared.auth import Caller
from shared.idempotency import derived_id
from shared.jobs import Job, JobKind, RowError
from shared.problems import ValidationFailed

from ..data import classes as classes_store
from ..data import files as files_store
from ..data import jobs as store
from ..domain.access import REGISTRARS, registrar_org
from ..domain.model import RecordFile, UnitTask
from ..domain.problems import FileStateConflict
from .files import new_file
from .items import new_item

KIND = "register"
KEPT_STATES = 4  # jobs whose state one function instance keeps (a run works on one job at a time)


@dataclass
class _State:
    org_id: str
    version: int | None = None
    version_read: bool = False
    tasks: dict[str, UnitTask | None] = field(default_factory=dict)
    files: dict[str, RecordFile] = field(default_factory=dict)  # by reference and by id
    covered: "WeakKeyDictionary[Any, dict[str, int]]" = field(default_factory=WeakKeyDictionary)

    def lookup(self, org_id: str, code: str) -> tuple[int | None, UnitTask | None]:
        if not self.version_read:
            self.version, self.version_read = classes_store.current_version(org_id), True
        if self.version is None:
            return None, None
        if code not in self.tasks:
            self.tasks[code] = classes_store.unit_task(org_id, self.version, code)
        return self.version, self.tasks[code]

    def covers(self, tx: Any, file_id: str) -> bool:
        """Whether `tx` already holds an operation on the file (one that a truncation has not dropped)."""
        return self.covered.get(tx, {}).get(file_id, 10**9) <= tx.size

    def cover(self, tx: Any, file_id: str) -> None:
        self.covered.setdefault(tx, {})[file_id] = tx.size


_states: "OrderedDict[str, _State]" = OrderedDict()


def _state(job: Job) -> _State:
    state = _states.pop(job.id, None) or _State(job.org_id)
    _states[job.id] = state
    while len(_states) > KEPT_STATES:
        _states.popitem(last=False)
    return state


# --------------------------------------------------------------------- HTTP side
def submit_import(caller: Caller, rows: list[dict[str, Any]], idempotency_key: str | None) -> Job:
    """Store the rows and the job (202); the jobs function registers them."""
    org_id = registrar_org(caller)
    return store.JOBS.submit(org_id, KIND, rows, actor=caller.as_actor(), params={"source": "upload"},
                             job_id=derived_id(f"import|{org_id}|{caller.user_id}", idempotency_key))


def _jobs_org(caller: Caller) -> str:
    return caller.require_org(*REGISTRARS, "auditor", holdings="jobs")


def get_job(caller: Caller, job_id: str) -> Job:
    return store.JOBS.get(_jobs_org(caller), job_id)


def list_jobs(caller: Caller, limit: int, cursor: str | None) -> tuple[list[Job], str | None]:
    return store.JOBS.list(_jobs_org(caller), limit, cursor)


def job_errors(caller: Caller, job_id: str, limit: int, cursor: str | None) -> tuple[list[RowError], str | None]:
    return store.JOBS.errors(_jobs_org(caller), job_id, limit, cursor)


# ---------------------------------------------------------------------- job side
def run_job(org_id: str, job_id: str, kinds: dict[str, JobKind], time_left_ms: Callable[[], int],
            lease_ms: int) -> bool:
    return store.JOBS.run(org_id, job_id, kinds, time_left_ms=time_left_ms, lease_ms=lease_ms)


def register_row(tx: Any, job: Job, row_no: int, body: dict[str, Any]) -> None:
    """Stage one validated row (a file or an item) in the group's transaction, or raise a Problem."""
    state = _state(job)
    row_id = derived_id(f"import|{job.id}", str(row_no))  # the same row always gets the same id
    if body["record"] == "file":
        fields = {k: v for k, v in body.items() if k != "record"}
        file, events = new_file(job.org_id, job.created_by, fields, row_id, state.lookup, job_id=job.id)
        files_store.add_file(tx, file, events)
        state.files[file.reference] = state.files[file.id] = file
        state.cover(tx, file.id)
        return
    file = _file_of(state, job, body)
    fields = {k: v for k, v in body.items() if k not in ("record", "file_reference", "file_id")}
    item, added = new_item(file, job.created_by, fields, row_id, job_id=job.id)
    if not state.covers(tx, file.id):
        files_store.check_file(tx, job.org_id, file.id,
                               registered_by_job=job.id if file.registered_by_job == job.id else None)
    files_store.add_item(tx, item, added, check_open=False)
    state.cover(tx, file.id)


def _file_of(state: _State, job: Job, body: dict[str, Any]) -> RecordFile:
    key = body.get("file_reference") or body.get("file_id")
    field_name = "file_reference" if body.get("file_reference") else "file_id"
    if key in state.files:
        return state.files[key]
    file_id = files_store.file_by_reference(job.org_id, key) if field_name == "file_reference" else key
    file = files_store.get_file(job.org_id, file_id, consistent=True) if file_id else None
    if file is None:
        raise ValidationFailed(f"{field_name}: no file {key} in your organisation.",
                               errors=[{"field": field_name, "message": "no such file in your organisation"}])
    if file.status != "open" and file.registered_by_job != job.id:
        raise FileStateConflict(f"The file {key} is {file.status}; only an open file takes items.")
    state.files[key] = file
    return file
