"""The long-job pattern (shared/jobs.py) against DynamoDB (moto), with a kind of job made up here:
each row writes one `NOTE#<code>` item (a code may be used once) and its event.

What must hold: every row is applied exactly once or rejected with its own error, whether the
run is cut short, resumed, run twice at once or replayed; progress and writes never disagree.
"""
from __future__ import annotations

import json
import threading

import boto3
import pytest
from pynamodb.attributes import UnicodeAttribute

from infrastructure.aws_events import FakeLambdaContext
from shared.events import EventFactory, Subject
import time

from shared.jobs import JobKind, JobStore, LeaseHeld, worker
from shared.outbox import outbox_model
from shared.problems import Conflict, ValidationFailed
from shared.storage import Table

TABLE = Table("jobs-test")  # TABLE_NAME (the integration world's identity table) at each use


class NoteItem(TABLE.Item):
    text = UnicodeAttribute()


OutboxItem = outbox_model(TABLE.Item)
Tx, read, page = TABLE.access(OutboxItem)
STORE = JobStore(TABLE, Tx, read, page, capability="notes")
event = EventFactory("notes")
ROW = {"type": "object", "required": ["code", "text"], "additionalProperties": False,
       "properties": {"code": {"type": "string", "pattern": "^[A-Z0-9-]{1,20}$"},
                      "text": {"type": "string", "maxLength": 50}}}


def apply_note(tx, job, row_no, row):
    if row["text"] == "refuse":
        raise ValidationFailed("This note is refused.", errors=[{"field": "text", "message": "refused", "rule": "x"}])
    tx.put(NoteItem(f"NOTE#{row['code']}", "NOTE", text=row["text"]), NoteItem.pk.does_not_exist(),
           on_fail=lambda: Conflict(f"Note {row['code']} exists already."))
    tx.event(event("NoteAdded", [Subject("note", row["code"], job.org_id)], {"row": row_no}, job.created_by))


KINDS = {"notes": JobKind("notes", apply_note, ROW)}
ACTOR = {"user_id": "u1", "org_id": "o1"}


def _rows(n: int) -> list[dict]:
    rows = [{"code": f"N-{i}", "text": f"note {i}"} for i in range(n)]
    rows[3] = {"code": "bad code", "text": "x"}  # schema
    rows[10] = {"code": "N-10", "text": "refuse"}  # apply refuses
    rows[20] = {"code": "N-5", "text": "again"}  # the same code as row 6 (index 5): a conflict
    return rows


def _notes() -> dict[str, str]:
    return {item.pk: item.text for item in NoteItem.scan(NoteItem.pk.startswith("NOTE#"))}


def _events(type_: str) -> list[dict]:
    found = [json.loads(item.envelope) for item in OutboxItem.scan(OutboxItem.pk.startswith("OUTBOX#"))]
    return [e for e in found if e["type"] == type_]


def _run(job, time_left=lambda: 600_000):
    return STORE.run("o1", job.id, KINDS, time_left_ms=time_left, lease_ms=60_000)


def test_every_row_lands_once_or_is_reported(aws):
    job = STORE.submit("o1", "notes", _rows(1234), actor=ACTOR, params={"source": "test"})
    assert STORE.get("o1", job.id).status == "queued"
    assert _run(job) is False
    done = STORE.get("o1", job.id)
    assert (done.status, done.total, done.done, done.failed, done.succeeded, done.percent) == (
        "completed", 1234, 1234, 3, 1231, 100)
    errors, cursor = STORE.errors("o1", job.id, 100, None)
    assert [e.row for e in errors] == [4, 11, 21] and cursor is None
    assert errors[0].errors[0]["field"] == "code" and "exists already" in errors[2].detail
    notes = _notes()
    assert len(notes) == 1231 and notes["NOTE#N-5"] == "note 5" and "NOTE#N-10" not in notes
    assert len(_events("NoteAdded")) == 1231
    assert [e["payload"]["status"] for e in _events("JobFinished")] == ["completed"]
    assert len(_events("JobSubmitted")) == 1
    assert _run(job) is False and len(_notes()) == 1231  # a replayed message changes nothing


def test_a_run_cut_short_resumes_where_it_stopped(aws):
    job = STORE.submit("o1", "notes", _rows(700), actor=ACTOR)
    clock = iter([600_000] * 3 + [1_000] * 1000)
    assert _run(job, lambda: next(clock)) is True  # out of time: continue in a new invocation
    partway = STORE.get("o1", job.id)
    assert 0 < partway.done < 700 and partway.status == "running" and partway.lease_until == 0
    assert len(_notes()) == partway.succeeded
    assert _run(job) is False
    done = STORE.get("o1", job.id)
    assert (done.done, done.succeeded, done.failed) == (700, 697, 3) and len(_notes()) == 697
    assert len(_events("NoteAdded")) == 697


def test_two_workers_at_once_apply_each_row_once(aws):
    job = STORE.submit("o1", "notes", _rows(600), actor=ACTOR)
    results = []

    def work():
        try:
            results.append(_run(job))
        except LeaseHeld:  # the other one claimed it first: it looks again once that lease has run out
            results.append("deferred")

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = STORE.get("o1", job.id)
    assert done.status == "completed" and (done.done, done.succeeded, done.failed) == (600, 597, 3)
    assert len(_events("NoteAdded")) == 597 and len(_notes()) == 597


def test_another_organisation_sees_no_job(aws):
    job = STORE.submit("o1", "notes", _rows(30), actor=ACTOR)
    with pytest.raises(Exception) as found:
        STORE.get("o2", job.id)
    assert getattr(found.value, "status", None) == 404
    with pytest.raises(Exception) as listed:
        STORE.errors("o2", job.id, 10, None)
    assert getattr(listed.value, "status", None) == 404
    assert [j.id for j in STORE.list("o1", 10, None)[0]] == [job.id] and STORE.list("o2", 10, None)[0] == []


def test_the_worker_continues_itself_through_its_queue(aws, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="notes-jobs")["QueueUrl"]
    monkeypatch.setenv("JOBS_QUEUE_URL", url)
    job = STORE.submit("o1", "notes", _rows(300), actor=ACTOR)
    submitted = _events("JobSubmitted")[0]
    calls = []

    def run(org_id, job_id, time_left, lease_ms):
        calls.append((org_id, job_id))
        return STORE.run(org_id, job_id, KINDS, time_left_ms=lambda: 1_000 if len(calls) == 1 else 600_000,
                         lease_ms=lease_ms)

    handler = worker(run)

    class Context(FakeLambdaContext):
        def get_remaining_time_in_millis(self):
            return 600_000

    bus_message = {"messageId": "m1", "body": json.dumps({"detail-type": "JobSubmitted", "detail": submitted})}
    assert handler({"Records": [bus_message]}, Context()) == {"batchItemFailures": []}
    sent = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(sent[0]["Body"])["job"] == {"org_id": "o1", "job_id": job.id}
    assert handler({"Records": [{"messageId": "m2", "body": sent[0]["Body"]}]}, Context()) == {"batchItemFailures": []}
    assert calls == [("o1", job.id)] * 2
    assert STORE.get("o1", job.id).status == "completed" and len(_notes()) == 297


def test_a_resubmission_under_the_same_id_answers_the_job_and_rewrites_no_rows(aws):
    job = STORE.submit("o1", "notes", _rows(700), actor=ACTOR, job_id="job-1")
    clock = iter([600_000] * 3 + [1_000] * 1000)
    assert _run(job, lambda: next(clock)) is True
    partway = STORE.get("o1", "job-1")
    again = STORE.submit("o1", "notes", [{"code": "OTHER", "text": "x"}], actor=ACTOR, job_id="job-1")
    assert (again.id, again.total, again.done) == ("job-1", 700, partway.done)
    assert _run(job) is False
    done = STORE.get("o1", "job-1")
    assert (done.done, done.succeeded) == (700, 697) and "NOTE#OTHER" not in _notes()
    assert len(_events("JobSubmitted")) == 1


class _Context(FakeLambdaContext):
    def get_remaining_time_in_millis(self):
        return 600_000


def test_a_worker_that_fails_gives_its_lease_back_and_the_retry_finishes_the_job(aws, monkeypatch):
    job = STORE.submit("o1", "notes", _rows(300), actor=ACTOR)
    real_group, groups = STORE._group, []

    def failing_once(job_, kind, rows):
        groups.append(job_.done)
        if len(groups) == 3:
            raise RuntimeError("the table throttled")
        return real_group(job_, kind, rows)

    monkeypatch.setattr(STORE, "_group", failing_once)
    with pytest.raises(RuntimeError):
        _run(job)
    partway = STORE.get("o1", job.id)
    assert partway.status == "running" and 0 < partway.done < 300 and partway.lease_until == 0
    assert _run(job) is False  # the retry, a moment later, is not refused by a lease nobody holds
    done = STORE.get("o1", job.id)
    assert (done.status, done.done, done.succeeded) == ("completed", 300, 297) and len(_notes()) == 297


def test_a_lease_left_by_a_dead_worker_is_looked_at_again_when_it_runs_out(aws, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="notes-jobs-dead")["QueueUrl"]
    monkeypatch.setenv("JOBS_QUEUE_URL", url)
    job = STORE.submit("o1", "notes", _rows(100), actor=ACTOR)
    STORE._claim(STORE.get("o1", job.id), 2_000)  # a worker took it, then died (killed at its timeout)
    handler = worker(lambda org_id, job_id, time_left, lease_ms: STORE.run(org_id, job_id, KINDS,
                                                                            time_left_ms=time_left, lease_ms=lease_ms))
    retry = {"messageId": "m1", "body": json.dumps({"job": {"org_id": "o1", "job_id": job.id}})}
    assert handler({"Records": [retry]}, _Context()) == {"batchItemFailures": []}  # not failed: deferred
    assert STORE.get("o1", job.id).done == 0
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []  # delayed
    deadline = time.monotonic() + 30
    sent = []
    while not sent and time.monotonic() < deadline:  # the continuation appears once its delay has passed
        sent = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert json.loads(sent[0]["Body"])["job"] == {"org_id": "o1", "job_id": job.id}
    assert handler({"Records": [{"messageId": "m2", "body": sent[0]["Body"]}]}, _Context()) == {"batchItemFailures": []}
    assert STORE.get("o1", job.id).status == "completed" and len(_notes()) == 97
