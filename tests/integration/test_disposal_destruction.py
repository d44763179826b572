"""The destruction saga (destruction.asl.json) really executing in moto: disposal's real steps; records' and
stacks' steps answered by fakes that follow contracts A1 and A2 (tests/integration/destruction_world.py).

Held files are never destroyed, also when the hold lands after the committee or during the grace window; a
cancellation in the grace window releases everything; a failure injected at every step leaves disposal's
table and the marks consistent (nothing half-done); the certificate lists exactly what was destroyed; other
organisations' runs, certificates and register answer 404 or nothing; bad input writes nothing."""
from __future__ import annotations

import json

import pytest

from tests.integration.circulation_world import InjectedFailure
from tests.integration.destruction_world import ORG, SUPERVISOR
from tests.integration.disposal_world import AUDITOR, OTHER_ARCHIVIST, REQUESTER


def test_a_run_destroys_the_decided_files_and_certifies_exactly_them(destruction):
    destruction.decided("f-1", "f-2", "f-3")
    destruction.peers.add("f-2", box="b-1")  # f-2 is the box's only file: the box goes too
    run, execution = destruction.destroy("f-1", "f-2", "f-3", executed_by="u-archivist")
    assert execution["status"] == "SUCCEEDED", execution
    assert run["status"] == "completed" and run["counts"]["destroyed"] == 3 and run["counts"]["components"] == 6
    assert destruction.peers.destroyed() == ["f-1", "f-2", "f-3"] and destruction.peers.marked() == []
    assert set(destruction.outcomes(run["id"]).values()) == {"destroyed"}

    certificate = destruction.ok("GET", "/disposal/runs/{run_id}/certificate", path={"run_id": run["id"]})
    assert sorted(f["file_id"] for f in certificate["files"]) == ["f-1", "f-2", "f-3"]
    assert certificate["not_destroyed"] == [] and certificate["supervisor"] == SUPERVISOR
    hashes = {c["component_id"]: c["sha256"] for f in certificate["files"] for c in f["components"]}
    expected = {c["component_id"]: c["sha256"] for (_, _), f in destruction.peers.files.items() for c in f["components"]}
    assert hashes == expected
    f2 = next(f for f in certificate["files"] if f["file_id"] == "f-2")
    assert f2["boxes"] == [{"box_id": "b-1", "barcode": "BX-b-1", "box_destroyed": True}]
    assert [len(m["present"]) for m in certificate["meetings"]] == [3] and len(f2["votes"]) == 3
    stored = destruction.certificate_object(run["id"], "json")
    assert json.loads(stored) == certificate
    import hashlib
    assert run["certificate"]["sha256"] == hashlib.sha256(stored).hexdigest()
    pdf = destruction.certificate_object(run["id"], "pdf")
    assert pdf.startswith(b"%PDF") and run["certificate"]["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    download = destruction.ok("GET", "/disposal/runs/{run_id}/certificate.pdf", path={"run_id": run["id"]})
    assert download["url"].startswith("https://") and download["sha256"] == run["certificate"]["pdf_sha256"]

    register = destruction.ok("GET", "/disposal/register", who=AUDITOR)
    assert sorted(line["file_id"] for line in register["items"]) == ["f-1", "f-2", "f-3"]
    status, csv, headers = destruction.call("GET", "/disposal/register", query={"format": "csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert csv.splitlines()[0].startswith("destroyed_at,run_id,file_id") and len(csv.splitlines()) == 4
    assert [e["type"] for e in destruction.events() if e["type"].startswith("Destruction")] == [
        "DestructionRunStarted", "DestructionCompleted"] or sorted(
        e["type"] for e in destruction.events() if e["type"].startswith("Destruction")) == [
        "DestructionCompleted", "DestructionRunStarted"]


def _no_marks_left(destruction, run_id: str, *file_ids: str) -> None:
    """Nothing half-done: records holds no mark, nothing destroyed, every file released by the run (the read
    model's claim gone: it can go into another run)."""
    assert destruction.peers.marked() == [] and destruction.peers.destroyed() == []
    assert all(destruction.peers.status(f) == "closed" for f in file_ids)
    assert set(destruction.outcomes(run_id).values()) <= {"released", "held", "refused"}
    assert all(destruction.view(f)["in_run"] is None for f in file_ids)
    assert not destruction.register_lines()


def test_a_hold_placed_after_the_committee_stops_that_file_inside_the_saga(destruction):
    destruction.decided("f-1", "f-2")
    destruction.faults.before("prepare", lambda: destruction.hold("f-2"))  # after the route's own check
    run, execution = destruction.destroy("f-1", "f-2")
    assert execution["status"] == "SUCCEEDED" and run["status"] == "completed"
    assert destruction.outcomes(run["id"]) == {"f-1": "destroyed", "f-2": "held"}
    assert destruction.peers.status("f-2") == "closed"  # never marked in records
    assert not [c for c in destruction.peers.calls if "f-2" in c.get("file_ids", [])]
    certificate = destruction.ok("GET", "/disposal/runs/{run_id}/certificate", path={"run_id": run["id"]})
    assert [f["file_id"] for f in certificate["files"]] == ["f-1"]
    assert [(f["file_id"], f["outcome"]) for f in certificate["not_destroyed"]] == [("f-2", "held")]
    assert [e["payload"]["file_id"] for e in destruction.events("FileDestructionExcluded")] == ["f-2"]


def test_a_hold_placed_during_the_grace_window_releases_its_file_and_the_rest_is_destroyed(destruction):
    from shared import clock
    from disposal.integration import workflows
    from disposal.logic import destruction as saga

    destruction.grace(30)
    destruction.decided("f-1", "f-2")
    started = destruction.start(file_ids=["f-1", "f-2"])
    destruction.wait_for_state(started["id"], "Grace")
    assert destruction.run(started["id"])["grace_days"] == 30 and destruction.peers.marked() == ["f-1", "f-2"]
    destruction.hold("f-2")
    # thirty days later: the window ends (moved to the past), the waiting execution is gone (a restart
    # of Step Functions' own timer is out of a test's reach) and the reconcile job starts the saga again
    destruction.pass_grace(started["id"])
    assert workflows.stop(started["id"], "test: time passes")
    assert destruction.wait(started["id"])["status"] == "ABORTED"
    counts = saga.reconcile_runs(now=clock.utc_now() + __import__("datetime").timedelta(hours=1))
    assert counts == {"stuck": 1, "restarted": 1}
    restarted = next(e["name"] for e in destruction.aws.executions(destruction.machine_arn)
                     if e["name"].startswith(started["id"] + "-r"))
    assert destruction.wait(restarted)["status"] == "SUCCEEDED"
    run = destruction.run(started["id"])
    assert run["status"] == "completed" and destruction.outcomes(run["id"]) == {"f-1": "destroyed", "f-2": "held"}
    assert destruction.peers.destroyed() == ["f-1"] and destruction.peers.status("f-2") == "closed"
    assert destruction.view("f-2")["in_run"] is None
    assert len(destruction.register_lines()) == 1  # the restart recorded nothing twice


def test_cancelling_in_the_grace_window_releases_everything_at_once(destruction):
    destruction.grace(7)
    destruction.decided("f-1", "f-2")
    started = destruction.start(file_ids=["f-1", "f-2"])
    destruction.wait_for_state(started["id"], "Grace")
    waiting = destruction.run(started["id"])
    assert waiting["status"] == "grace" and waiting["grace_until"] > waiting["started_at"][:19]
    cancelled = destruction.post("/disposal/runs/{run_id}/cancel", {}, expect=200, version=waiting["version"],
                                 path={"run_id": started["id"]})
    assert cancelled["cancel_requested_by"] == "u-archivist"
    assert destruction.wait(started["id"])["status"] == "ABORTED"  # the wait is over at once
    assert destruction.wait(started["id"] + "-cancel")["status"] == "SUCCEEDED"
    run = destruction.run(started["id"])
    assert run["status"] == "cancelled" and run["counts"]["released"] == 2
    _no_marks_left(destruction, started["id"], "f-1", "f-2")
    assert [e["type"] for e in destruction.events("DestructionRunCancelled")] == ["DestructionRunCancelled"]
    again = destruction.call("POST", "/disposal/runs/{run_id}/cancel", path={"run_id": started["id"]}, body={},
                             headers={"Idempotency-Key": "c-2", "If-Match": f'"{run["version"]}"'})
    assert again[0] == 409 and again[1]["type"].endswith("/run-not-cancellable")
    destruction.grace(0)
    run, execution = destruction.destroy("f-1", "f-2")  # released files can be destroyed by a later run
    assert run["status"] == "completed" and destruction.peers.destroyed() == ["f-1", "f-2"]


BEFORE_THE_IRREVERSIBLE = ["prepare", "page", "mark_for_destruction", "record_marks", "start_grace", "confirm"]
AFTER = ["destroy_files", "destroy_contents", "record_destroyed", "certify"]


@pytest.mark.parametrize("step", BEFORE_THE_IRREVERSIBLE)
def test_a_failure_before_the_irreversible_part_undoes_every_mark(destruction, step):
    destruction.decided("f-1", "f-2")
    destruction.faults.fail(step, InjectedFailure(f"{step} refused"))
    run, execution = destruction.destroy("f-1", "f-2")
    assert execution["status"] == "FAILED" and execution.get("error") == "DestructionRunFailed"
    assert run["status"] == "failed" and run["failure"].startswith("InjectedFailure")
    _no_marks_left(destruction, run["id"], "f-1", "f-2")
    assert run["certificate"] is None and [e["type"] for e in destruction.events("DestructionRunFailed")]
    with pytest.raises(Exception):
        destruction.certificate_object(run["id"], "json")


@pytest.mark.parametrize("step", ["unmark_for_destruction", "fail_run"])
def test_a_failing_compensation_step_is_retried_until_everything_is_undone(destruction, step):
    destruction.decided("f-1", "f-2")
    destruction.faults.fail("confirm", InjectedFailure("confirm refused"))
    destruction.faults.fail(step, InjectedFailure(f"{step} failed once"))
    run, execution = destruction.destroy("f-1", "f-2")
    assert execution["status"] == "FAILED" and run["status"] == "failed"
    _no_marks_left(destruction, run["id"], "f-1", "f-2")


@pytest.mark.parametrize("step", AFTER)
def test_a_failure_in_the_irreversible_part_is_retried_and_nothing_is_done_twice(destruction, step):
    destruction.decided("f-1", "f-2")
    destruction.faults.fail(step, InjectedFailure(f"{step} failed once"))
    run, execution = destruction.destroy("f-1", "f-2")
    assert execution["status"] == "SUCCEEDED" and run["status"] == "completed", (execution, run)
    assert destruction.peers.destroyed() == ["f-1", "f-2"]
    assert sorted(line.split(",")[2] for line in destruction.register_lines()) == ["f-1", "f-2"]
    assert run["counts"]["destroyed"] == 2 and len(destruction.events("DestructionCompleted")) == 1


def test_an_irreversible_step_that_gives_up_is_finished_by_the_reconcile_job(destruction):
    from shared import clock
    from disposal.logic import destruction as saga

    destruction.decided("f-1")
    destruction.faults.fail("destroy_files", InjectedFailure("records unavailable for long"), times=4)
    run, execution = destruction.destroy("f-1")
    assert execution["status"] == "FAILED" and run["status"] == "destroying"  # never compensated
    assert destruction.peers.marked() == ["f-1"]
    counts = saga.reconcile_runs(now=clock.utc_now() + __import__("datetime").timedelta(hours=1))
    assert counts == {"stuck": 1, "restarted": 1}
    restarted = next(e["name"] for e in destruction.aws.executions(destruction.machine_arn)
                     if e["name"].startswith(run["id"] + "-r"))
    assert destruction.wait(restarted)["status"] == "SUCCEEDED"
    assert destruction.run(run["id"])["status"] == "completed" and destruction.peers.destroyed() == ["f-1"]


def test_records_refusing_a_file_leaves_it_out_and_the_rest_is_destroyed(destruction):
    destruction.decided("f-1", "f-2")
    destruction.peers.files[(ORG, "f-2")]["status"] = "open"  # records knows better: it was re-opened
    run, execution = destruction.destroy("f-1", "f-2")
    assert run["status"] == "completed" and destruction.outcomes(run["id"]) == {"f-1": "destroyed", "f-2": "refused"}
    assert "not-closed" in destruction.run_files(run["id"])["f-2"]["reason"]
    assert destruction.view("f-2")["in_run"] is None and destruction.peers.destroyed() == ["f-1"]


def test_a_run_of_a_review_list_takes_only_its_files_decided_for_destruction(destruction):
    list_id = destruction.decided("f-1", "f-2")
    deferred = destruction.decided("f-3", decision="defer")
    started = destruction.start(review_list_id=list_id)
    destruction.wait(started["id"])
    assert destruction.outcomes(started["id"]) == {"f-1": "destroyed", "f-2": "destroyed"}
    status, problem, _ = destruction.call("POST", "/disposal/runs", body={"supervisor": SUPERVISOR,
                                                                           "file_ids": ["f-3", "f-1"]},
                                          headers={"Idempotency-Key": "again"})
    assert status == 409 and problem["type"].endswith("/files-not-destroyable")
    assert [e["field"] for e in problem["errors"]] == ["file_ids.0", "file_ids.1"]
    assert "not decided" in problem["errors"][0]["message"] and deferred


def test_many_files_go_page_by_page(destruction):
    ids = [f"f-{i:02d}" for i in range(30)]
    for start in range(0, 30, 15):
        destruction.decided(*ids[start:start + 15])
    run, execution = destruction.destroy(*ids)
    assert run["status"] == "completed" and run["counts"]["destroyed"] == 30
    pages = {f["page"] for f in destruction.run_files(run["id"]).values()}
    assert pages == {0, 1}
    assert max(len(c["file_ids"]) for c in destruction.peers.calls if "file_ids" in c) == 25


# ---------------------------------------------------------------- the routes
def test_bad_input_names_every_field_and_writes_nothing(destruction):
    destruction.decided("f-1")
    destruction.hold("f-hold")
    before, executions = destruction.snapshot(), len(destruction.aws.executions(destruction.machine_arn))
    status, problem, _ = destruction.call("POST", "/disposal/runs", headers={"Idempotency-Key": "bad-1"},
                                          body={"file_ids": ["bad id!", "bad id!"], "supervisor": {"title": 5},
                                                "extra": 1})
    assert status == 400 and {"file_ids", "supervisor", "extra"} <= {e["field"].split(".")[0]
                                                                     for e in problem["errors"]}
    status, problem, _ = destruction.call("POST", "/disposal/runs", headers={"Idempotency-Key": "bad-2"},
                                          body={"file_ids": ["f-1", "f-unknown", "f-hold"], "supervisor": SUPERVISOR})
    assert status == 409 and [e["field"] for e in problem["errors"]] == ["file_ids.1", "file_ids.2"]
    status, problem, _ = destruction.call("POST", "/disposal/runs", headers={"Idempotency-Key": "bad-3"},
                                          body={"review_list_id": "no-such-list", "supervisor": SUPERVISOR})
    assert status == 400 and problem["errors"][0]["field"] == "review_list_id"
    status, problem, _ = destruction.call("PUT", "/disposal/settings", body={"grace_days": 366},
                                          headers={"If-Match": '"0"'})
    assert status == 400 and problem["errors"][0]["field"] == "grace_days"
    assert destruction.snapshot() == before
    assert len(destruction.aws.executions(destruction.machine_arn)) == executions  # no saga started
    forbidden = destruction.call("POST", "/disposal/runs", who=REQUESTER, headers={"Idempotency-Key": "r"},
                                 body={"file_ids": ["f-1"], "supervisor": SUPERVISOR})
    assert forbidden[0] == 403


def test_a_retried_request_starts_one_run(destruction):
    destruction.decided("f-1")
    first = destruction.call("POST", "/disposal/runs", body={"file_ids": ["f-1"], "supervisor": SUPERVISOR},
                             headers={"Idempotency-Key": "run-1"})
    again = destruction.call("POST", "/disposal/runs", body={"file_ids": ["f-1"], "supervisor": SUPERVISOR},
                             headers={"Idempotency-Key": "run-1"})
    assert first[0] == again[0] == 202 and first[1]["id"] == again[1]["id"]
    assert again[2]["idempotent-replayed"] == "true" and first[2]["location"].endswith(f"/disposal/runs/{first[1]['id']}")
    destruction.wait(first[1]["id"])
    assert len([e for e in destruction.aws.executions(destruction.machine_arn)
                if e["name"].startswith(first[1]["id"])]) == 1
    assert len(destruction.events("DestructionRunStarted")) == 1


def test_other_organisations_see_none_of_it(destruction):
    destruction.decided("f-1")
    run, _ = destruction.destroy("f-1")
    for resource in ("/disposal/runs/{run_id}", "/disposal/runs/{run_id}/files", "/disposal/runs/{run_id}/certificate",
                     "/disposal/runs/{run_id}/certificate.pdf"):
        status, problem, _ = destruction.call("GET", resource, path={"run_id": run["id"]}, who=OTHER_ARCHIVIST)
        assert status == 404, (resource, status, problem)
    cancel = destruction.call("POST", "/disposal/runs/{run_id}/cancel", path={"run_id": run["id"]}, body={},
                              who=OTHER_ARCHIVIST, headers={"Idempotency-Key": "x", "If-Match": '"1"'})
    assert cancel[0] == 404
    assert destruction.ok("GET", "/disposal/runs", who=OTHER_ARCHIVIST)["items"] == []
    assert destruction.ok("GET", "/disposal/register", who=OTHER_ARCHIVIST)["items"] == []
    status, csv, _ = destruction.call("GET", "/disposal/register", who=OTHER_ARCHIVIST, headers={"Accept": "text/csv"})
    assert status == 200 and len(csv.splitlines()) == 1  # the header only
    status, problem, _ = destruction.call("POST", "/disposal/runs", who=OTHER_ARCHIVIST,
                                          headers={"Idempotency-Key": "o"},
                                          body={"file_ids": ["f-1"], "supervisor": SUPERVISOR})
    assert status == 409 and "no such file" in problem["errors"][0]["message"]


def test_settings_default_to_no_grace_and_change_with_if_match(destruction):
    settings = destruction.ok("GET", "/disposal/settings")
    assert (settings["grace_days"], settings["version"]) == (0, 0)
    missing = destruction.call("PUT", "/disposal/settings", body={"grace_days": 3})
    assert missing[0] == 428
    changed = destruction.grace(3)
    assert (changed["grace_days"], changed["version"]) == (3, 1)
    stale = destruction.call("PUT", "/disposal/settings", body={"grace_days": 4}, headers={"If-Match": '"0"'})
    assert stale[0] == 412
    assert destruction.ok("GET", "/disposal/settings", who=OTHER_ARCHIVIST)["grace_days"] == 0
