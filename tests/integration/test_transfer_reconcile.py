"""The reconcile job (`reconcile_transfers`) against the real state machines in moto: a transfer left in a saga's
status with no execution moving it (a start lost after the table write, an execution stopped or failed) is
driven to a consistent end by a new execution of its saga, and running the job again starts nothing twice; a
transfer whose execution is still running is left alone until it runs past its bound. Records', audit's and
stacks' steps are the contract fakes (transfer_world)."""
from __future__ import annotations

from datetime import timedelta
import threading

import pytest

from tests.integration.circulation_world import InjectedFailure
from tests.integration.transfer_world import ARCHIVE, ARCHIVE_ARCHIVIST, ORG, three_files

NOTHING = {"stuck": 0, "running": 0, "started": 0, "restarted": 0, "stopped": 0}


@pytest.fixture
def three(transfer):
    return three_files(transfer)


def _job(after: timedelta = timedelta(minutes=11)) -> dict[str, int]:
    """The job as the schedule runs it, `after` from now (past the settle time by default)."""
    from shared import clock
    from transfer import logic
    return logic.reconcile_transfers(now=clock.utc_now() + after)


def _executions(transfer, machine: str, transfer_id: str) -> list[str]:
    return sorted(e["name"] for e in transfer.aws.executions(transfer.aws.machine_arns[machine])
                  if e["name"].startswith(f"{machine.removeprefix('transfer-')}-{transfer_id}"))


def _send_with_the_start_lost(transfer, monkeypatch, file_ids: list[str]) -> dict:
    """POST send: the transfer is written `packaging`, but Step Functions never hears of it."""
    from transfer.integration import workflows
    draft = transfer.draft(file_ids)
    with monkeypatch.context() as patch:
        patch.setattr(workflows, "start_package", lambda payload, attempt=0: True)
        transfer.post("/transfers/{transfer_id}/send", expect=202, version=draft["version"],
                      path={"transfer_id": draft["id"]})
    assert transfer.get(draft["id"])["status"] == "packaging"
    assert _executions(transfer, "transfer-package", draft["id"]) == []
    return draft


def _sender_as_it_was(transfer, file_ids) -> None:
    for fid in file_ids:
        f = transfer.records.files[(ORG, fid)]
        assert (f.status, f.marked_by) == ("closed", None), (fid, f)
        assert (ARCHIVE, fid) not in transfer.records.files
    assert all(b.status == "shelved" for b in transfer.stacks.boxes.values() if b.org_id == ORG)


def test_a_package_whose_start_was_lost_is_started_under_its_own_name_once(three, monkeypatch):
    transfer = three
    draft = _send_with_the_start_lost(transfer, monkeypatch, ["F-1", "F-2", "F-3"])
    assert _job(after=timedelta(0)) == NOTHING  # too recent: its start may still be on its way

    assert _job() == {**NOTHING, "stuck": 1, "started": 1}
    again = _job()  # a second run (its execution running or already ended) starts nothing
    assert again["started"] == again["restarted"] == 0, again
    run = transfer.wait("transfer-package", f"package-{draft['id']}")
    assert run["status"] == "SUCCEEDED", run
    assert transfer.get(draft["id"])["status"] == "awaiting_inspection"
    assert transfer.get(draft["id"], who=ARCHIVE_ARCHIVIST)["status"] == "awaiting_inspection"
    assert _job() == NOTHING  # it left the sagas' index
    assert _executions(transfer, "transfer-package", draft["id"]) == [f"package-{draft['id']}"]


def test_a_lost_start_of_a_transfer_that_can_no_longer_go_ends_failed_with_the_sender_as_it_was(three, monkeypatch):
    """The restart is the saga itself: a hold placed meanwhile refuses it, and its compensation undoes it."""
    transfer = three
    draft = _send_with_the_start_lost(transfer, monkeypatch, ["F-1", "F-2"])
    transfer.hold(["F-2"])
    assert _job() == {**NOTHING, "stuck": 1, "started": 1}
    run = transfer.wait("transfer-package", f"package-{draft['id']}")
    assert run["status"] == "FAILED", run
    failed = transfer.get(draft["id"])
    assert failed["status"] == "failed" and "F-2" in failed["error"]["detail"], failed
    _sender_as_it_was(transfer, ["F-1", "F-2"])
    assert _job() == NOTHING and _job() == NOTHING
    assert transfer.draft(["F-1"])["status"] == "draft"  # the files are free again


class Blocked:
    """The transfer tasks' handler, with one saga step held until released (the first call only)."""

    def __init__(self, handler, step: str) -> None:
        self.handler, self.step = handler, step
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, event, context):
        if event.get("step") == self.step and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(60), "the test never released the step"
        return self.handler(event, context)


def test_a_running_package_is_left_alone_and_one_running_past_its_bound_is_stopped_then_restarted(three):
    from transfer.domain.reconcile import running_bound
    transfer = three
    blocked = Blocked(transfer.aws.router.handlers["TransferTasksFunction"], "finish_bag")
    transfer.aws.router.handlers["TransferTasksFunction"] = blocked
    draft = transfer.draft(["F-1", "F-2", "F-3"])
    transfer.post("/transfers/{transfer_id}/send", expect=202, version=draft["version"],
                  path={"transfer_id": draft["id"]})
    first = f"package-{draft['id']}"
    try:
        assert blocked.entered.wait(60), "the package saga never reached finish_bag"
        assert _job() == {**NOTHING, "stuck": 1, "running": 1}  # running, within its bound: left alone
        assert _job() == {**NOTHING, "stuck": 1, "running": 1}
        assert _executions(transfer, "transfer-package", draft["id"]) == [first]

        wedged = running_bound(1) + timedelta(minutes=1)
        assert _job(after=wedged) == {**NOTHING, "stuck": 1, "stopped": 1}
    finally:
        blocked.release.set()
    assert transfer.wait("transfer-package", first)["status"] == "ABORTED"

    assert _job(after=wedged) == {**NOTHING, "stuck": 1, "restarted": 1}  # the next run: the next attempt
    run = transfer.wait("transfer-package", f"{first}-1")
    assert run["status"] == "SUCCEEDED", run
    sent = transfer.get(draft["id"])
    assert sent["status"] == "awaiting_inspection", sent
    assert {f["state"] for f in transfer.files(draft["id"])} == {"verified"}
    assert _job(after=wedged) == NOTHING
    assert _executions(transfer, "transfer-package", draft["id"]) == [first, f"{first}-1"]


def test_an_acceptance_stopped_in_its_irreversible_release_is_finished_not_undone(three):
    transfer = three
    draft = transfer.draft(["F-1", "F-2", "F-3"])
    sent, _ = transfer.send(draft)
    assert sent["status"] == "awaiting_inspection", sent
    for fid, outcome in (("F-1", "accept"), ("F-2", "accept"), ("F-3", "reject")):
        transfer.inspect(sent["id"], fid, outcome, reason="not ours" if outcome == "reject" else None)
    transfer.faults.fail("release_files", InjectedFailure("records went away mid-release"))
    stuck, run = transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and "ReleaseIncomplete" in transfer.states_entered(run), run
    assert stuck["status"] == "accepting"

    assert _job() == {**NOTHING, "stuck": 1, "restarted": 1}
    assert _job()["restarted"] == 0  # the restart moved the transfer's clock: not looked at again yet
    run = transfer.wait("transfer-accept", f"accept-{sent['id']}-2")
    assert run["status"] == "SUCCEEDED", run
    accepted = transfer.get(sent["id"], who=ARCHIVE_ARCHIVIST)
    assert (accepted["status"], accepted["accepted_count"], accepted["rejected_count"]) == ("accepted", 2, 1)
    assert {f["file_id"]: f["state"] for f in transfer.files(sent["id"])} == {
        "F-1": "transferred", "F-2": "transferred", "F-3": "returned"}
    assert transfer.records.files[(ARCHIVE, "F-1")].status == "closed"
    assert transfer.records.files[(ORG, "F-3")].status == "closed"
    assert _job(after=timedelta(hours=1)) == NOTHING
    assert _executions(transfer, "transfer-accept", sent["id"]) == [f"accept-{sent['id']}-1",
                                                                     f"accept-{sent['id']}-2"]
