"""Long jobs: bulk work that outlives a request, answered `202` with a job that shows its progress.

One pattern for every capability (records' bulk registration, stacks' bulk boxes, later
disposal, transfer and search), written once here:

1. **Submit.** The route reads the upload into rows (`read_rows`: CSV or JSON) and calls
   `JobStore.submit`: the rows go into the capability's own table in chunks (invisible until
   the job exists; they expire), then one transaction writes the job and its `JobSubmitted`
   event. The route answers `202` with the job and `Location: /<cap>/jobs/{id}`.
2. **Run.** The bus routes `JobSubmitted` to the capability's jobs queue; its jobs function
   (`worker`) calls `JobStore.run`, which takes a lease on the job and works from the job's
   cursor. Rows go in groups; each group is ONE transaction holding the rows' writes, their
   events and the job's progress, conditioned on the cursor it started from. So a redelivered
   message, a second worker or a crash never applies a row twice or loses one, and a row is
   all-or-nothing. A group that fails is redone row by row: the rows that fail alone are
   recorded as row errors (an error item in the same transaction as the progress) and the
   others land.
3. **Continue.** Before the function's time runs out the worker gives up its lease and sends
   its queue a continuation; if it fails, it gives the lease back before the message is retried;
   if it dies instead, SQS redelivers after the visibility timeout and the lease has expired by
   then. A worker that meets a lease still running (its holder may have died, and a retry can
   come sooner than the lease's end) sends a continuation delayed until the lease's end
   (`LeaseHeld`), so a job is never dropped while unfinished.
4. **Status**: `queued` → `running` → `completed` (every row processed; `failed` counts the
   rejected rows, listed at `/<cap>/jobs/{id}/errors`) | `failed` (the job itself could not run).

A capability's rows are applied by its `JobKind.apply(tx, job, row_no, row)`, which validates
the row and adds its writes and events to `tx`, or raises a `Problem` to reject the row.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shared.auth import not_found
from shared.clock import iso_instant
from shared.events import EventFactory, Subject, system_actor
from shared.observability import logger
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import (Conflict, MalformedRequest, PayloadTooLarge, Problem, ServiceUnavailable,
                             UnsupportedMediaType, ValidationFailed)
from shared.storage import Gsi1, Key, Table
from shared.validation import validate

STATUSES = ("queued", "running", "completed", "failed")
MAX_ROWS = 20_000  # documented per route; bigger imports are split by the client
MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
CHUNK_ROWS = 500
CHUNK_BYTES = 300_000  # well under DynamoDB's 400 KB item limit
GROUP_OPERATIONS = 90  # rows per transaction: up to this many writes, leaving room for progress and errors
GROUP_ROWS = 40
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit
KEEP_ROWS_SECONDS = 30 * 24 * 3600
STOP_BEFORE_TIMEOUT_MS = 15_000  # room for one slow group, the lease release and the continuation message
MAX_ROW_ERRORS_IN_DETAIL = 20

JOB_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "status", "total", "done", "succeeded", "failed", "percent", "created_at"],
    "properties": {
        "id": {"type": "string"}, "kind": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES),
                   "description": "queued → running → completed (rows rejected are counted in `failed`) | failed."},
        "total": {"type": "integer", "description": "Rows submitted."},
        "done": {"type": "integer", "description": "Rows processed, accepted or rejected."},
        "succeeded": {"type": "integer"}, "failed": {"type": "integer"},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "params": {"type": "object"},
        "created_by": {"type": ["string", "null"]},
        "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "detail": {"type": ["string", "null"], "description": "Why a failed job could not run."},
        "errors_url": {"type": "string"},
    },
}
ROW_ERROR_SCHEMA = {
    "type": "object", "required": ["row", "detail", "errors"],
    "properties": {"row": {"type": "integer", "description": "1-based row number (CSV: the header is row 0)."},
                   "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"}}},
}


# ---------------------------------------------------------------------- entities
@dataclass(frozen=True)
class Job:
    id: str
    org_id: str
    kind: str
    capability: str
    total: int
    status: str = "queued"
    done: int = 0
    succeeded: int = 0
    failed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    created_by: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    detail: str | None = None
    lease_until: int = 0
    version: int = 1

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else (self.done * 100) // self.total

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "total": self.total, "done": self.done,
                "succeeded": self.succeeded, "failed": self.failed, "percent": self.percent, "params": self.params,
                "created_by": self.created_by.get("user_id"), "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at, "detail": self.detail,
                "errors_url": f"/{self.capability}/jobs/{self.id}/errors"}


@dataclass(frozen=True)
class RowError:
    row: int
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"row": self.row, "detail": self.detail, "errors": self.errors}


@dataclass(frozen=True)
class JobKind:
    """A kind of job: `apply(tx, job, row_no, row)` adds one row's writes and events to `tx` or raises a Problem.
    `row_schema` (optional) validates each row first; its errors become the row's errors.

    A kind whose rows are not independent writes (many boxes onto one shelf move one counter: one
    transaction cannot update an item twice) gives `apply_group(job, [(row_no, row), ...])` instead: it
    applies a group's rows itself, each idempotent by the state it leaves (a row redone after a crash
    changes nothing), and answers a RowError or None per row; the group's progress and row errors are
    then one transaction. A 5xx Problem from it leaves the group to be redone."""
    name: str
    apply: Callable[[Any, Job, int, dict[str, Any]], None] | None = None
    row_schema: dict[str, Any] | None = None
    apply_group: Callable[[Job, list[tuple[int, dict[str, Any]]]], list["RowError | None"]] | None = None


# --------------------------------------------------------------------- reading rows
def read_rows(raw: bytes | None, content_type: str | None, *, max_rows: int = MAX_ROWS) -> list[dict[str, Any]]:
    """The rows of an upload: `text/csv` (UTF-8, a header row; empty cells are absent) or JSON
    (`{"rows": [...]}` or a list of objects). Whatever is wrong with the upload as a whole is a 4xx here;
    what is wrong with a row is that row's error later."""
    raw = raw or b""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"The upload is {len(raw)} bytes; at most {MAX_UPLOAD_BYTES} are accepted. "
                              "Split it into several jobs.")
    media = (content_type or "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedRequest("The upload is not UTF-8 text.") from None
    if media == "text/csv":
        rows = _csv_rows(text)
    elif media == "application/json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
        except RecursionError:
            raise MalformedRequest("The body nests too deeply.") from None
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValidationFailed("Send {\"rows\": [ {...}, ... ]}: a list of objects.",
                                   errors=[{"field": "rows", "message": "must be a list of objects", "rule": "type"}])
    else:
        raise UnsupportedMediaType("Send the rows as text/csv (with a header row) or application/json.")
    if not rows:
        raise ValidationFailed("The upload has no rows.",
                               errors=[{"field": "rows", "message": "at least one row is required", "rule": "minItems"}])
    if len(rows) > max_rows:
        raise PayloadTooLarge(f"The upload has {len(rows)} rows; at most {max_rows} are accepted per job.")
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or any(not (name or "").strip() for name in reader.fieldnames):
        raise ValidationFailed("The CSV needs a header row naming every column.",
                               errors=[{"field": "header", "message": "missing or empty column name", "rule": "required"}])
    if len(set(reader.fieldnames)) != len(reader.fieldnames):
        raise ValidationFailed("The CSV header names a column twice.",
                               errors=[{"field": "header", "message": "duplicate column", "rule": "uniqueItems"}])
    try:
        # Extra cells beyond the header land under the key None: keep them, so the row is rejected by name.
        return [{(k.strip() if k else "_extra"): v for k, v in row.items() if v not in ("", None)} for row in reader]
    except csv.Error as exc:
        raise MalformedRequest(f"The CSV cannot be read: {exc}") from None


def _chunks(rows: list[dict[str, Any]]) -> Iterator[tuple[int, list[str]]]:
    """(first row index, rows as JSON text) in chunks bounded by count and size."""
    start, current, size = 0, [], 0
    for index, row in enumerate(rows):
        text = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
        if current and (len(current) >= CHUNK_ROWS or size + len(text) > CHUNK_BYTES):
            yield start, current
            start, current, size = index, [], 0
        current.append(text)
        size += len(text.encode())
    if current:
        yield start, current


# ------------------------------------------------------------------------ storage
job_key = Key("ORG#{org_id}#JOB#{job_id}")
jobs_index_key = Key("ORG#{org_id}#JOBS")
chunk_sort_key = Key("CHUNK#{start:07d}")
error_sort_key = Key("ERROR#{row:07d}")


class LeaseHeld(Exception):
    """Another worker's lease on the job runs for `wait_ms` more: look again after it (the worker sends
    itself a delayed continuation), since that worker may have died holding it."""

    def __init__(self, org_id: str, job_id: str, wait_ms: int) -> None:
        super().__init__(f"job {job_id} is leased for {wait_ms} ms more")
        self.org_id, self.job_id, self.wait_ms = org_id, job_id, wait_ms


class _Superseded(Problem):
    """Another worker moved the job on (or holds it): stop, do not redo (a Problem, so a transaction's
    named failure can be this)."""
    slug, title, status = "conflict", "Conflict", 409

    def __init__(self, detail: str = "The job moved on under another worker.", **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)


class JobStore:
    """A capability's jobs, kept in its own table (`Table`, its `Tx` class and its `read`/`page`)."""

    def __init__(self, table: Table, tx: type, read: Callable, page: Callable, *, capability: str) -> None:
        self.capability, self.tx, self.read, self.page = capability, tx, read, page
        self.event = EventFactory(capability)

        class JobItem(table.Item):
            gsi1 = Gsi1()
            kind = UnicodeAttribute()
            status = UnicodeAttribute()
            total = NumberAttribute()
            done = NumberAttribute()
            succeeded = NumberAttribute()
            failed = NumberAttribute()
            body = UnicodeAttribute()  # the rest of the job, as JSON
            lease_until = NumberAttribute(default=0)
            version = NumberAttribute()

        class ChunkItem(table.Item):
            rows = UnicodeAttribute()  # a JSON list of the rows' JSON texts
            expiration = NumberAttribute()

        class ErrorItem(table.Item):
            row = NumberAttribute()
            detail = UnicodeAttribute()
            errors = UnicodeAttribute()

        self.JobItem, self.ChunkItem, self.ErrorItem = JobItem, ChunkItem, ErrorItem

    # -------------------------------------------------------------- items <-> jobs
    def _item(self, job: Job) -> Model:
        rest = {k: v for k, v in dataclasses.asdict(job).items()
                if k not in ("kind", "status", "total", "done", "succeeded", "failed", "lease_until", "version")}
        return self.JobItem(job_key(job.org_id, job.id), "JOB", gsi1pk=jobs_index_key(job.org_id),
                            gsi1sk=f"{job.created_at}#{job.id}", kind=job.kind, status=job.status, total=job.total,
                            done=job.done, succeeded=job.succeeded, failed=job.failed,
                            body=json.dumps(rest, separators=(",", ":")), lease_until=job.lease_until,
                            version=job.version)

    @staticmethod
    def _job(item: Model) -> Job:
        return Job(kind=item.kind, status=item.status, total=int(item.total), done=int(item.done),
                   succeeded=int(item.succeeded), failed=int(item.failed), lease_until=int(item.lease_until or 0),
                   version=int(item.version), **json.loads(item.body))

    # ------------------------------------------------------------------- submitting
    def submit(self, org_id: str, kind: str, rows: list[dict[str, Any]], *, actor: dict[str, Any],
               params: dict[str, Any] | None = None, job_id: str | None = None) -> Job:
        """Store the rows and the job, and raise `JobSubmitted`. `job_id` (e.g. derived from an
        Idempotency-Key) makes a retried submission land on the same job: if it exists, it is answered
        and nothing is written (its rows may be running; they are never rewritten)."""
        if job_id is not None:
            try:
                return self.get(org_id, job_id)
            except Problem as problem:
                if problem.status != 404:
                    raise
        job = Job(id=job_id or str(uuid.uuid4()), org_id=org_id, kind=kind, capability=self.capability,
                  total=len(rows), params=params or {}, created_by=actor, created_at=iso_instant())
        expiration = int(time.time()) + KEEP_ROWS_SECONDS
        with self.ChunkItem.batch_write() as batch:
            for start, texts in _chunks(rows):
                batch.save(self.ChunkItem(job_key(org_id, job.id), chunk_sort_key(start=start),
                                          rows="[" + ",".join(texts) + "]", expiration=expiration))
        self.tx().put(self._item(job), self.JobItem.pk.does_not_exist(),
                      on_fail=lambda: Conflict("A job with this id exists already.")).event(
            self.event("JobSubmitted", [Subject("job", job.id, org_id)],
                       {"job_id": job.id, "kind": kind, "total": job.total, "capability": self.capability},
                       actor)).run()
        return job

    # ---------------------------------------------------------------------- reading
    def get(self, org_id: str, job_id: str) -> Job:
        try:
            return self._job(self.read(self.JobItem.get, job_key(org_id, job_id), "JOB", consistent_read=True))
        except DoesNotExist:
            raise not_found("job") from None

    def list(self, org_id: str, limit: int, cursor: str | None) -> tuple[list[Job], str | None]:
        start = decode_cursor(cursor, expected={"gsi1pk": jobs_index_key(org_id)},
                              keys={"pk", "sk", "gsi1pk", "gsi1sk"})
        result = self.JobItem.gsi1.query(jobs_index_key(org_id), limit=limit, scan_index_forward=False,
                                         last_evaluated_key=typed_key(start))
        jobs = self.read(lambda: [self._job(item) for item in result])
        return jobs, encode_cursor(result.last_evaluated_key)

    def errors(self, org_id: str, job_id: str, limit: int, cursor: str | None) -> tuple[list[RowError], str | None]:
        self.get(org_id, job_id)  # another organisation's job is not found
        return self.page(self.ErrorItem, job_key(org_id, job_id), "ERROR#", limit, cursor,
                         convert=lambda item: RowError(int(item.row), item.detail, json.loads(item.errors)))

    # ----------------------------------------------------------------------- running
    def run(self, org_id: str, job_id: str, kinds: dict[str, JobKind], *, time_left_ms: Callable[[], int],
            lease_ms: int) -> bool:
        """Work on the job until it is finished (→ False) or time runs short (→ True: continue it)."""
        try:
            job = self.get(org_id, job_id)
        except Problem:
            logger.warning("job not found", extra={"job_id": job_id})
            return False
        if job.finished:
            return False
        kind = kinds.get(job.kind)
        if kind is None:
            self._finish(job, "failed", detail=f"No worker for jobs of kind {job.kind!r}.")
            return False
        job = self._claim_or_defer(job, lease_ms)
        if job is None:
            return False
        try:
            return self._work(job, kind, time_left_ms)
        except _Superseded:
            return False  # another worker moved it on and holds it now
        except Exception:
            # give the lease back, so the message's redelivery can claim the job at once instead of
            # finding it held by a worker that is no longer working on it
            try:
                self._release(self.get(org_id, job_id))
            except Exception:  # noqa: BLE001 — the lease then runs out by itself; the first failure is the one to see
                logger.exception("could not give the job's lease back", extra={"job_id": job_id})
            raise

    def _work(self, job: Job, kind: "JobKind", time_left_ms: Callable[[], int]) -> bool:
        chunks = self._chunks_from(job)
        while job.done < job.total:
            if time_left_ms() < STOP_BEFORE_TIMEOUT_MS:
                self._release(job)
                return True
            rows = self._next_rows(chunks, job.done)
            if rows is None:
                self._finish(job, "failed", detail="The job's rows are missing (expired or never stored).")
                return False
            job = self._group(job, kind, rows)
        self._finish(job, "completed")
        return False

    def _claim_or_defer(self, job: Job, lease_ms: int) -> Job | None:
        """The claimed job; None when it is finished; LeaseHeld when another worker's lease runs.

        A lease may belong to a worker that died or timed out holding it (its message's
        redelivery then finds it held): whoever meets a held lease looks again once it has
        run out, through LeaseHeld, instead of dropping the job for good."""
        for _ in range(3):
            try:
                return self._claim(job, lease_ms)
            except _Superseded:
                job = self.get(job.org_id, job.id)
                if job.finished:
                    return None
                wait_ms = job.lease_until - int(time.time() * 1000)
                if wait_ms > 0:
                    raise LeaseHeld(job.org_id, job.id, wait_ms)
        raise LeaseHeld(job.org_id, job.id, 1_000)  # claims keep racing: look again shortly

    def _claim(self, job: Job, lease_ms: int) -> Job:
        now_ms = int(time.time() * 1000)
        claimed = dataclasses.replace(job, status="running", started_at=job.started_at or iso_instant(),
                                      lease_until=now_ms + lease_ms, version=job.version + 1)
        item = self._item(claimed)
        self.tx().update(item, [self.JobItem.status.set("running"), self.JobItem.lease_until.set(claimed.lease_until),
                                self.JobItem.body.set(item.body), self.JobItem.version.set(claimed.version)],
                         (self.JobItem.version == job.version) & (self.JobItem.lease_until < now_ms),
                         on_fail=_Superseded).run()
        return claimed

    def _release(self, job: Job) -> None:
        try:
            self.tx().update(self._item(job), [self.JobItem.lease_until.set(0), self.JobItem.version.add(1)],
                             self.JobItem.version == job.version, on_fail=_Superseded).run()
        except _Superseded:
            pass

    def _finish(self, job: Job, status: str, *, detail: str | None = None) -> None:
        finished = dataclasses.replace(job, status=status, finished_at=iso_instant(), detail=detail, lease_until=0,
                                       version=job.version + 1)
        item = self._item(finished)
        try:
            self.tx().update(item, [self.JobItem.status.set(status), self.JobItem.body.set(item.body),
                                    self.JobItem.lease_until.set(0), self.JobItem.version.set(finished.version)],
                             self.JobItem.version == job.version, on_fail=_Superseded).event(
                self.event("JobFinished", [Subject("job", job.id, job.org_id)],
                           {"job_id": job.id, "kind": job.kind, "status": status, "total": job.total,
                            "succeeded": job.succeeded, "failed": job.failed, "detail": detail},
                           system_actor(job.org_id, job_id=job.id))).run()
        except _Superseded:
            pass
        logger.info("job finished", extra={"job_id": job.id, "status": status, "succeeded": job.succeeded,
                                           "failed": job.failed})

    def _chunks_from(self, job: Job) -> dict[str, Any]:
        return {"key": job_key(job.org_id, job.id), "start": None, "rows": []}

    def _next_rows(self, state: dict[str, Any], done: int) -> list[tuple[int, dict[str, Any]]] | None:
        """The rows from index `done` to the end of the chunk that holds it (reading it if needed)."""
        start, rows = state["start"], state["rows"]
        if start is None or not (start <= done < start + len(rows)):
            items = list(self.read(lambda: list(self.ChunkItem.query(
                state["key"], self.ChunkItem.sk.between("CHUNK#", chunk_sort_key(start=done)),
                scan_index_forward=False, limit=1, consistent_read=True))))
            if not items:
                return None
            start = int(items[0].sk.split("#")[1])
            rows = json.loads(items[0].rows)
            if not (start <= done < start + len(rows)):
                return None
            state["start"], state["rows"] = start, rows
        return [(index, rows[index - start]) for index in range(done, start + len(rows))]

    def _group(self, job: Job, kind: JobKind, rows: list[tuple[int, dict[str, Any]]]) -> Job:
        """Apply the next rows: as many as fit in one transaction with the progress; on failure row by row."""
        if kind.apply_group is not None:
            return self._applied_group(job, kind, rows[:GROUP_ROWS])
        tx, taken, errors = self.tx(), 0, []
        for index, row in rows[:GROUP_ROWS]:
            before, error = tx.size, None
            try:
                kind.apply(tx, job, index + 1, validate(row, kind.row_schema) if kind.row_schema else row)
            except Problem as problem:
                if problem.status >= 500:
                    raise
                tx.truncate(before)
                error = RowError(index + 1, problem.detail, problem.errors)
            if taken and tx.size + len(errors) + (error is not None) + 1 > MAX_TRANSACTION_ITEMS:
                tx.truncate(before)  # this row goes in the next group
                break
            taken += 1
            errors += [error] if error else []
            if tx.size + len(errors) >= GROUP_OPERATIONS:
                break
        try:
            return self._commit(tx, job, taken, errors)
        except (Problem, ServiceUnavailable) as problem:
            if isinstance(problem, _Superseded):
                raise
            logger.info("group refused; row by row", extra={"job_id": job.id, "detail": str(problem)})
        for index, row in rows[:taken]:
            job = self._one(job, kind, index, row)
        return job

    def _applied_group(self, job: Job, kind: JobKind, rows: list[tuple[int, dict[str, Any]]]) -> Job:
        """A group a kind applies itself (`apply_group`), then its progress and row errors in one transaction."""
        errors: dict[int, RowError] = {}
        valid = []
        for index, row in rows:
            try:
                valid.append((index + 1, validate(row, kind.row_schema) if kind.row_schema else row))
            except Problem as problem:
                errors[index + 1] = RowError(index + 1, problem.detail, problem.errors)
        assert kind.apply_group is not None
        for (row_no, _), error in zip(valid, kind.apply_group(job, valid), strict=True):
            if error is not None:
                errors[row_no] = error
        return self._commit(self.tx(), job, len(rows), [errors[n] for n in sorted(errors)])

    def _one(self, job: Job, kind: JobKind, index: int, row: dict[str, Any]) -> Job:
        tx = self.tx()
        try:
            kind.apply(tx, job, index + 1, validate(row, kind.row_schema) if kind.row_schema else row)
            return self._commit(tx, job, 1, [])
        except _Superseded:
            raise
        except Problem as problem:
            if problem.status >= 500:
                raise
            return self._commit(self.tx(), job, 1, [RowError(index + 1, problem.detail, problem.errors)])

    def _commit(self, tx: Any, job: Job, taken: int, errors: list[RowError]) -> Job:
        moved = dataclasses.replace(job, done=job.done + taken, failed=job.failed + len(errors),
                                    succeeded=job.succeeded + taken - len(errors), version=job.version + 1)
        key = job_key(job.org_id, job.id)
        for error in errors:
            tx.put(self.ErrorItem(key, error_sort_key(row=error.row), row=error.row, detail=error.detail[:2000],
                                  errors=json.dumps(error.errors[:MAX_ROW_ERRORS_IN_DETAIL], ensure_ascii=False)))
        tx.update(self.JobItem(key, "JOB"),
                  [self.JobItem.done.set(moved.done), self.JobItem.failed.set(moved.failed),
                   self.JobItem.succeeded.set(moved.succeeded), self.JobItem.version.set(moved.version)],
                  self.JobItem.version == job.version, on_fail=_Superseded)
        tx.run()
        return moved



# ------------------------------------------------------------------------ worker
def worker(run: Callable[[str, str, Callable[[], int], int], bool], *, queue_url_env: str = "JOBS_QUEUE_URL"):
    """The jobs function's SQS handler. A message is either the bus's `JobSubmitted` event or a
    continuation `{"job": {"org_id", "job_id"}}`; `run(org_id, job_id, time_left_ms, lease_ms)` works on
    the job and says whether to continue it in a new invocation."""
    from shared.observability import lambda_entry, set_correlation_id

    @lambda_entry()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event.get("Records", []):
            try:
                body = json.loads(record["body"])
                if "job" in body:
                    ref = body["job"]
                    set_correlation_id(body.get("correlation_id"))
                else:
                    envelope = body["detail"]
                    set_correlation_id(envelope.get("correlation_id"))
                    ref = {"org_id": envelope["subjects"][0]["org_id"], "job_id": envelope["payload"]["job_id"]}
                time_left = getattr(context, "get_remaining_time_in_millis", lambda: 900_000)
                lease_ms = time_left() + 5_000
                try:
                    if run(ref["org_id"], ref["job_id"], time_left, lease_ms):
                        _continue(ref, queue_url_env)
                except LeaseHeld as held:
                    _continue(ref, queue_url_env, delay_s=held.wait_ms // 1000 + 1)
            except Exception:  # the message comes back after its visibility timeout; the cursor says where
                logger.exception("job run failed", extra={"message_id": record.get("messageId")})
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return handler


def _continue(ref: dict[str, str], queue_url_env: str, *, delay_s: int = 0) -> None:
    import boto3

    from shared.observability import correlation_id

    # SQS delays a message by at most 15 minutes; a longer lease is simply looked at again then
    boto3.client("sqs").send_message(QueueUrl=os.environ[queue_url_env], DelaySeconds=min(delay_s, 900),
                                     MessageBody=json.dumps({"job": {"org_id": ref["org_id"], "job_id": ref["job_id"]},
                                                             "correlation_id": correlation_id()}))
