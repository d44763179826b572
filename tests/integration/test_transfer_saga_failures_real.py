"""The transfer sagas' failure matrix with the REAL steps of records, audit and stacks (and transfer's own):
a failure injected at every Task state of both state machines leaves both organisations consistent.

GIVEN three closed permanent files at the records centre (each with a captured component) in two shelved
boxes (the first two files in one, the third alone)
WHEN any step of the package saga fails, before its work or after it (the work done, the answer lost)
THEN the files are at the sender exactly as before (status, custody, every field but version and time), the
boxes back on their shelves, the transfer failed with the problem, nothing at the archive, and records' and
stacks' events tell no story a consumer would misread (every mark given back, nothing transferred)
WHEN a compensation step fails after its work (it retries every error)
THEN the retry meets its work done and the end is the same
WHEN a transient error meets a step after its work
THEN the step is retried and the package is made once (each file marked once, each box out once)
WHEN the archive accepts two files and rejects one, and any step before the irreversible release fails (or an
undo step fails after its work)
THEN nothing is left at the archive (no file, no copy of a component, no box, every receipt told undone), the
sender's package stands, the transfer awaits inspection again with the problem, and accepting again moves the
files (a file the undone acceptance had already given back is refused by name, not copied)
WHEN a step of the acceptance meets a transient error after its work
THEN it is retried and every file and box moves once
WHEN a release step fails for good
THEN the transfer stays accepting (the release is forward-only) and the execution restarted completes it
WHEN the archive rejects every file and a step of giving them back fails after its work
THEN it is retried and everything is the sender's again.

One world for the module (transfer_real_world.py). A test that fails a package hands its files on to the next
(it asserted them as they were, and free), and one that fails an acceptance its package (undone, awaiting
inspection); a test that needs its own makes them.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import bagit
import pytest

from tests.integration.test_transfer_saga_real import ARCHIVE_MANAGER, MANAGER
from tests.integration.transfer_real_world import Fault, SharedReal, TransientError, real, shared_real  # noqa: F401
from tests.integration.transfer_world import ARCHIVE, ARCHIVE_ARCHIVIST, ORG

VOLATILE = ("version", "updated_at", "transfer_id")  # transfer_id: the last transfer that marked the file


@dataclass
class Scene:
    files: list[dict]
    moving: dict  # the box of the first two files (accepted when the archive inspects)
    staying: dict  # the box of the third (rejected)
    before: dict[str, dict]
    boxes_before: dict[str, dict]

    @property
    def ids(self) -> list[str]:
        return [f["id"] for f in self.files]


def _file(real: SharedReal, file_id: str) -> dict:
    status, body = real.file_of(ORG, file_id)
    assert status == 200, body
    return {k: v for k, v in body.items() if k not in VOLATILE}


def _box(real: SharedReal, box_id: str) -> dict:
    return {k: v for k, v in real.stacks.get_box(box_id, who=MANAGER).items() if k not in VOLATILE}


def _scene(real: SharedReal) -> Scene:
    files = [real.closed_file(f"minutes {n} ".encode() * 60) for n in range(3)]
    real.publish()
    moving = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [f["id"] for f in files[:2]])
    staying = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [files[2]["id"]])
    return Scene(files, moving, staying, {f["id"]: _file(real, f["id"]) for f in files},
                 {b["id"]: _box(real, b["id"]) for b in (moving, staying)})


def _free(real: SharedReal) -> Scene:
    """Closed files and shelved boxes in no transfer: the module's, as the last test that failed a package
    left them (it asserted they were as before and free), or new ones."""
    return real.take("free", lambda: _scene(real))


def _hit(real: SharedReal, run: dict, fault: Fault, state: str) -> None:
    """The fault was met, and in the state meant (its step name alone may serve several states)."""
    assert fault.fired >= 1, (f"{fault.step} #{fault.nth} was never called", run.get("error"), run.get("cause"))
    assert real.failed_in(run, fault)[:1] == [state], real.failed_in(run, fault)


def _box_id(event: dict) -> str | None:
    p = event["payload"]
    return p.get("box_id") or p.get("id") or (p.get("box") or {}).get("id")


def _org(event: dict) -> str:
    return event["subjects"][0]["org_id"]


def _events(real: SharedReal, scene: Scene) -> tuple[list[dict], list[dict]]:
    """Records' and stacks' events about the scene's files and boxes, in the order they happened."""
    boxes = {scene.moving["id"], scene.staying["id"]}
    files = [e for e in real.records.events() if e["payload"].get("file_id") in scene.ids]
    box_events = [e for e in real.stacks.outbox() if _box_id(e) in boxes]
    return sorted(files, key=lambda e: e["occurred_at"]), sorted(box_events, key=lambda e: e["occurred_at"])


def _count(kind: str, events: list[dict], org: str | None = None) -> Counter:
    return Counter(e["payload"].get("file_id") or _box_id(e) for e in events
                   if e["type"] == kind and (org is None or _org(e) == org))


def _nothing_at_the_archive(real: SharedReal, scene: Scene, files: list[dict], boxes: list[dict]) -> None:
    """No file, no copy of a component, no box at the archive; every receipt told was undone, nothing
    transferred."""
    for fid in scene.ids:
        assert real.file_of(ARCHIVE, fid)[0] == 404, fid
        assert real.copies_at(ARCHIVE, fid) == [], fid
    for box in (scene.moving, scene.staying):
        assert real.stacks.call("GET", "/boxes/{box_id}", path={"box_id": box["id"]}, who=ARCHIVE_MANAGER)[0] == 404
    assert _count("FileReceived", files) == _count("FileReceiptReverted", files)  # no FileReceived without its undo
    assert _count("BoxRegistered", boxes, ARCHIVE) == _count("BoxReceiptReverted", boxes)
    assert not [e for e in files + boxes if e["type"] in ("FileTransferred", "BoxTransferred")]


def _as_they_were(real: SharedReal, scene: Scene, transfer_id: str) -> None:
    """The sender's files and boxes exactly as before the transfer; nothing at the archive."""
    for fid in scene.ids:
        assert real.file_of(ORG, fid)[1]["transfer_id"] in (None, transfer_id)
        assert _file(real, fid) == scene.before[fid], fid
    for box in (scene.moving, scene.staying):
        now = _box(real, box["id"])
        assert (now["status"], now["home_location_id"]) == ("shelved", box["home_location_id"]), now
        assert now == scene.boxes_before[box["id"]], box["id"]
    files, boxes = _events(real, scene)
    _nothing_at_the_archive(real, scene, files, boxes)
    for fid in scene.ids:  # every mark given back: the last word on each file is `closed`
        told = [e["payload"]["status"] for e in files if e["type"] == "FileStatusChanged"
                and e["payload"]["file_id"] == fid]
        assert told[-1:] in ([], ["closed"]), (fid, told)
    for box in (scene.moving, scene.staying):  # and on each box, `shelved`
        told = [e["payload"]["to"] for e in boxes if e["type"] == "BoxStatusChanged" and _box_id(e) == box["id"]]
        assert told[-1:] in ([], ["shelved"]), (box["id"], told)


def _failed(real: SharedReal, scene: Scene, draft: dict, trigger: Fault) -> None:
    """The package failed: the problem named, both sides see it, the sender's files free for a new transfer
    (a draft of them is made, then withdrawn, and the files handed on to the next test)."""
    transfer = real.transfer
    failed = transfer.get(draft["id"])
    assert failed["status"] == "failed" and trigger.message in failed["error"]["detail"], failed
    assert transfer.get(draft["id"], who=ARCHIVE_ARCHIVIST)["status"] == "failed"
    told = sorted((e for e in transfer.events() if e["payload"].get("transfer_id") == draft["id"]),
                  key=lambda e: e["occurred_at"])
    assert [e["type"] for e in told if e["type"] in ("TransferFailed", "TransferPackageVerified")][-1:] == \
        ["TransferFailed"]  # a package verified, then failed, says so last
    _as_they_were(real, scene, draft["id"])
    real.publish()  # records' events reach transfer's read model: the files may go again
    again = transfer.draft(scene.ids)
    assert again["file_count"] == 3
    transfer.post("/transfers/{transfer_id}/cancel", expect=200, version=again["version"],
                  path={"transfer_id": again["id"]})
    real.keep("free", scene)


# ---------------------------------------------------------------------------------------------- package
# Every Task state of transfer_package.asl.json that calls a function, as (state, step, n-th call of the
# step in a run of one page); FinishExport runs for exports only (they mark and move nothing).
PACKAGE = {
    "Prepare": ("prepare", 1),
    "MarkPages/LoadPage": ("page", 1),
    "MarkPages/MarkForTransfer": ("mark_for_transfer", 1),
    "MarkPages/TransferOutBoxes": ("transfer_out_boxes", 1),
    "MarkPages/RecordPage": ("record_page", 1),
    "PackagePages/LoadPage": ("page", 2),
    "PackagePages/PackageFiles": ("package_files", 1),
    "PackagePages/ExportHistory": ("export_history", 1),
    "PackagePages/RecordEntries": ("record_entries", 1),
    "FinishBag": ("finish_bag", 1),
    "VerifyBag": ("verify_bag", 1),
}
# The states whose work changes something (a retry or the compensation meets it done).
PACKAGE_WORK = ["MarkPages/MarkForTransfer", "MarkPages/TransferOutBoxes", "MarkPages/RecordPage",
                "PackagePages/PackageFiles", "PackagePages/ExportHistory", "PackagePages/RecordEntries", "FinishBag",
                "VerifyBag"]
# The compensation, entered here after ExportHistory failed (files marked, boxes out, the bag half written).
# Its steps retry every error: one failing after its work (done, the answer lost) is retried and must meet its
# own work done; one failing before it is an ordinary retry.
PACKAGE_UNDO = {
    "PlanUndo": ("pages", 1),
    "UnmarkPages/LoadPage": ("page", 3),
    "UnmarkPages/UnmarkForTransfer": ("unmark_for_transfer", 1),
    "CancelTransferOut": ("cancel_transfer_out", 1),
    "FailTransfer": ("fail_transfer", 1),
}


def _fault(table: dict, state: str, **kw) -> Fault:
    step, nth = table[state]
    return Fault(step, nth, **kw)


@pytest.mark.parametrize("state,when", [(s, "before") for s in PACKAGE] + [(s, "after") for s in PACKAGE_WORK])
def test_a_failure_at_any_package_step_leaves_both_sides_as_they_were(real, state, when):
    scene = _free(real)
    draft = real.transfer.draft(scene.ids)
    [fault] = real.injector.arm(_fault(PACKAGE, state, when=when))
    _, run = real.transfer.send(draft)
    assert run["status"] == "FAILED" and run.get("error") == "TransferFailed", run
    _hit(real, run, fault, state)
    _failed(real, scene, draft, fault)


@pytest.mark.parametrize("state", PACKAGE_UNDO)
def test_a_compensation_step_failing_after_its_work_is_retried_to_the_same_end(real, state):
    scene = _free(real)
    draft = real.transfer.draft(scene.ids)
    trigger, fault = real.injector.arm(_fault(PACKAGE, "PackagePages/ExportHistory"),
                                       _fault(PACKAGE_UNDO, state, when="after"))
    _, run = real.transfer.send(draft)
    assert run["status"] == "FAILED" and run.get("error") == "TransferFailed", run
    _hit(real, run, trigger, "PackagePages/ExportHistory")
    _hit(real, run, fault, state)
    _failed(real, scene, draft, trigger)


def _packaged_once(real: SharedReal, scene: Scene, sent: dict, tmp_path) -> None:
    """The package as if nothing had failed: each file marked once, each box out once, a valid bag."""
    assert sent["status"] == "awaiting_inspection", sent
    for fid in scene.ids:
        assert real.file_of(ORG, fid)[1]["status"] == "being_transferred"
    for box in (scene.moving, scene.staying):
        assert real.stacks.get_box(box["id"], who=MANAGER)["status"] == "in_transfer"
    files, boxes = _events(real, scene)
    marks = Counter(e["payload"]["file_id"] for e in files
                    if e["type"] == "FileStatusChanged" and e["payload"]["status"] == "being_transferred")
    assert marks == Counter(scene.ids), marks
    outs = Counter(_box_id(e) for e in boxes if e["type"] == "BoxStatusChanged" and e["payload"]["to"] == "in_transfer")
    assert outs == Counter([scene.moving["id"], scene.staying["id"]]), outs
    real.transfer.download(f"transfers/{ORG}/{sent['id']}", tmp_path)
    bag = bagit.Bag(str(tmp_path))
    bag.validate()
    assert {f"data/files/{f['id']}/file.json" for f in scene.files} <= set(bag.payload_entries())


# A transient error after the step's work: the retry meets the work done (a retry of a step that failed before
# its work is an ordinary call).
@pytest.mark.parametrize("state", PACKAGE_WORK)
def test_a_transient_error_after_a_package_step_is_retried_and_the_package_made_once(real, state, tmp_path):
    scene = _scene(real)  # its own files: each is to be marked once
    draft = real.transfer.draft(scene.ids)
    [fault] = real.injector.arm(_fault(PACKAGE, state, when="after", error=TransientError, times=2))
    sent, run = real.transfer.send(draft)
    assert run["status"] == "SUCCEEDED", run
    _hit(real, run, fault, state)
    assert fault.fired == 2
    _packaged_once(real, scene, sent, tmp_path)


# ---------------------------------------------------------------------------------------------- accept
# Every Task state of transfer_accept.asl.json that calls a function, with two files accepted (one box moves)
# and one rejected (its box stays): (state, step, n-th call of the step in the run).
BEFORE_RELEASE = {
    "BeginAccept": ("begin_accept", 1),
    "VerifyAtIntake": ("verify_at_intake", 1),  # a failure of the check itself, not a bag that fails it
    "ReceivePages/LoadPage": ("page", 1),
    "ReceivePages/ReceiveFiles": ("receive_files", 1),
    "ReceivePages/RecordReceived": ("record_received", 1),
    "ReceiveBoxes/PageBoxes": ("page_boxes", 1),
    "ReceiveBoxes/ReceiveBoxesAtReceiver": ("receive_boxes", 1),
    "ReturnRejected/LoadPage": ("page", 2),
    "ReturnRejected/UnmarkRejected": ("unmark_for_transfer", 1),
}
ACCEPT_WORK = ["ReceivePages/ReceiveFiles", "ReceivePages/RecordReceived", "ReceiveBoxes/ReceiveBoxesAtReceiver",
               "ReturnRejected/UnmarkRejected"]
# The undo at the receiver, entered here after UnmarkRejected failed (everything received, nothing released).
ACCEPT_UNDO = {
    "PlanUndo": ("pages", 1),
    "UnreceiveBoxes": ("unreceive_boxes", 1),
    "UnreceivePages/LoadPage": ("page", 3),
    "UnreceivePages/UnreceiveFiles": ("unreceive_files", 1),
    "AcceptFailed": ("accept_failed", 1),
}
RELEASE = {
    "ReleasePages/LoadPage": ("page", 3),
    "ReleasePages/ReleaseFiles": ("release_files", 1),
    "ReleasePages/MovedBoxes": ("page_boxes", 2),
    "ReleasePages/ReleaseBoxes": ("release_boxes", 1),
    "KeepOtherBoxes": ("cancel_transfer_out", 1),
    "FinishAccept": ("finish_accept", 1),
}
RELEASE_WORK = ["ReleasePages/ReleaseFiles", "ReleasePages/ReleaseBoxes", "KeepOtherBoxes", "FinishAccept"]
ALL_REJECTED = {
    "ReturnAll/LoadPage": ("page", 1),
    "ReturnAll/UnmarkForTransfer": ("unmark_for_transfer", 1),
    "CancelTransferOut": ("cancel_transfer_out", 1),
    "FinishRejected": ("finish_rejected", 1),
}


def _sent(real: SharedReal, scene: Scene, outcomes=("accept", "accept", "reject")) -> dict:
    sent, run = real.transfer.send(real.transfer.draft(scene.ids))
    assert run["status"] == "SUCCEEDED" and sent["status"] == "awaiting_inspection", (run, sent)
    for fid, outcome in zip(scene.ids, outcomes):
        real.transfer.inspect(sent["id"], fid, outcome, reason="not ours to keep" if outcome == "reject" else None)
    return sent


def _inspected(real: SharedReal) -> tuple[Scene, dict]:
    """A package the archive inspected (two files accepted, one rejected), awaiting its acceptance: the one the
    last test that failed an acceptance left (it asserted the acceptance undone), or a new one."""
    def make() -> tuple[Scene, dict]:
        scene = _scene(real)
        return scene, _sent(real, scene)
    return real.take("inspected", make)


def _accepted(real: SharedReal, scene: Scene, transfer_id: str) -> None:
    """The two accepted files and their box are the archive's, once each; the rejected file and its box are the
    sender's as they were."""
    after = real.transfer.get(transfer_id, who=ARCHIVE_ARCHIVIST)
    assert after["status"] == "accepted" and (after["accepted_count"], after["rejected_count"]) == (2, 1), after
    kept, other, rejected = scene.files
    for file in (kept, other):
        status, theirs = real.file_of(ARCHIVE, file["id"])
        assert status == 200 and theirs["status"] == "closed", theirs
        [component] = real.components_at(ARCHIVE, file)
        assert component["sha256"] == file["component"]["sha256"]
        assert real.bytes_of(ARCHIVE, file, component["id"]) == file["data"]
        assert real.file_of(ORG, file["id"])[1]["status"] == "transferred"
    assert _file(real, rejected["id"]) == scene.before[rejected["id"]]
    assert real.file_of(ARCHIVE, rejected["id"])[0] == 404 and real.copies_at(ARCHIVE, rejected["id"]) == []
    left = real.stacks.get_box(scene.moving["id"], who=MANAGER)
    assert left["status"] == "transferred" and left["home_location_id"] is None, left
    arrived = real.stacks.get_box(scene.moving["id"], who=ARCHIVE_MANAGER)
    assert arrived["status"] == "in_transfer" and sorted(arrived["files"]) == sorted([kept["id"], other["id"]])
    assert _box(real, scene.staying["id"]) == scene.boxes_before[scene.staying["id"]]
    assert real.stacks.call("GET", "/boxes/{box_id}", path={"box_id": scene.staying["id"]},
                            who=ARCHIVE_MANAGER)[0] == 404
    files, boxes = _events(real, scene)
    received = _count("FileReceived", files)
    received.subtract(_count("FileReceiptReverted", files))
    assert +received == Counter([kept["id"], other["id"]]), received  # net once each
    assert _count("FileTransferred", files) == Counter([kept["id"], other["id"]])
    registered = _count("BoxRegistered", boxes, ARCHIVE)
    registered.subtract(_count("BoxReceiptReverted", boxes))
    assert +registered == Counter([scene.moving["id"]]), registered
    assert _count("BoxTransferred", boxes) == Counter([scene.moving["id"]])
    states = {f["file_id"]: f["state"] for f in real.transfer.files(transfer_id)}
    assert states == {kept["id"]: "transferred", other["id"]: "transferred", rejected["id"]: "returned"}


def _undone_at_the_receiver(real: SharedReal, scene: Scene, sent: dict, trigger: Fault) -> None:
    after = real.transfer.get(sent["id"], who=ARCHIVE_ARCHIVIST)
    assert after["status"] == "awaiting_inspection" and trigger.message in after["error"]["detail"], after
    _nothing_at_the_archive(real, scene, *_events(real, scene))
    # the package stands at the sender: the accepted files still marked, their boxes still out
    for fid in scene.ids[:2]:
        assert real.file_of(ORG, fid)[1]["status"] == "being_transferred"
    assert real.file_of(ORG, scene.ids[2])[1]["status"] in ("being_transferred", "closed")
    assert real.stacks.get_box(scene.moving["id"], who=MANAGER)["status"] == "in_transfer"


def _accept_failing(real: SharedReal, scene: Scene, sent: dict, *faults: Fault) -> dict:
    real.injector.arm(*faults)
    _, run = real.transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "AcceptanceFailed", run
    assert all(f.fired for f in faults), real.transfer.get(sent["id"])["error"]  # failed where meant, not before
    return run


@pytest.mark.parametrize("state,when", [(s, "before") for s in BEFORE_RELEASE] + [(s, "after") for s in ACCEPT_WORK])
def test_a_failure_at_any_acceptance_step_is_undone_at_the_receiver(real, state, when):
    scene, sent = _inspected(real)
    fault = _fault(BEFORE_RELEASE, state, when=when)
    run = _accept_failing(real, scene, sent, fault)
    _hit(real, run, fault, state)
    _undone_at_the_receiver(real, scene, sent, fault)
    real.keep("inspected", (scene, sent))  # the next acceptance of it receives again what this one undid


@pytest.mark.parametrize("state", ACCEPT_UNDO)
def test_an_undo_step_failing_after_its_work_is_retried_to_the_same_end(real, state):
    scene, sent = _inspected(real)
    trigger = _fault(BEFORE_RELEASE, "ReturnRejected/UnmarkRejected")
    fault = _fault(ACCEPT_UNDO, state, when="after")
    run = _accept_failing(real, scene, sent, trigger, fault)
    _hit(real, run, trigger, "ReturnRejected/UnmarkRejected")
    _hit(real, run, fault, state)
    _undone_at_the_receiver(real, scene, sent, trigger)
    real.keep("inspected", (scene, sent))


@pytest.mark.parametrize("state", ["ReceivePages/ReceiveFiles", "ReceiveBoxes/ReceiveBoxesAtReceiver",
                                   "ReturnRejected/UnmarkRejected"])
def test_an_acceptance_undone_is_accepted_again_once_the_cause_is_gone(real, state):
    scene, sent = _inspected(real)
    fault = _fault(BEFORE_RELEASE, state, when="after")
    _accept_failing(real, scene, sent, fault)
    _undone_at_the_receiver(real, scene, sent, fault)
    real.injector.disarm()
    _, run = real.transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED", run
    _accepted(real, scene, sent["id"])


@pytest.mark.parametrize("state", ACCEPT_WORK + RELEASE_WORK)
def test_a_transient_error_after_an_acceptance_step_is_retried_and_everything_moves_once(real, state):
    scene, sent = _inspected(real)
    [fault] = real.injector.arm(_fault({**BEFORE_RELEASE, **RELEASE}, state, when="after", error=TransientError))
    _, run = real.transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED", run
    _hit(real, run, fault, state)
    _accepted(real, scene, sent["id"])


@pytest.mark.parametrize("state,when", [("ReleasePages/ReleaseFiles", "before"),
                                        ("ReleasePages/ReleaseBoxes", "after")])
def test_a_release_failing_for_good_stays_accepting_and_completes_when_restarted(real, state, when):
    scene, sent = _inspected(real)
    [fault] = real.injector.arm(_fault(RELEASE, state, when=when))
    _, run = real.transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "ReleaseIncomplete", run
    _hit(real, run, fault, state)
    assert real.transfer.get(sent["id"])["status"] == "accepting"  # forward-only: nothing given back
    real.injector.disarm()
    aws, restarted = real.aws, f"{run['name']}-restart"  # as the Fail state's cause says: restart the execution
    aws.sfn.start_execution(stateMachineArn=aws.machine_arns["transfer-accept"], name=restarted, input=run["input"])
    assert real.transfer.wait("transfer-accept", restarted)["status"] == "SUCCEEDED"
    _accepted(real, scene, sent["id"])


@pytest.mark.parametrize("state", [None, *[s for s in ALL_REJECTED if s != "ReturnAll/LoadPage"]])
def test_rejecting_every_file_gives_everything_back_even_when_a_step_fails_after_its_work(real, state):
    scene = _free(real)
    sent = _sent(real, scene, outcomes=("reject",) * 3)
    faults = real.injector.arm(*([_fault(ALL_REJECTED, state, when="after")] if state else []))
    after, run = real.transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED" and after["status"] == "rejected", (run, after)
    for fault in faults:
        _hit(real, run, fault, state)
    assert {f["state"] for f in real.transfer.files(sent["id"])} == {"returned"}
    _as_they_were(real, scene, sent["id"])
    real.publish()
    real.keep("free", scene)


def test_a_file_given_back_before_an_undone_acceptance_is_not_received_if_the_receiver_changes_its_mind(real):
    """The undo does not mark the rejected file again (it went back before the failure): accepting it now
    would leave a copy at the archive and the file with the sender. The receipt refuses it by name."""
    scene, sent = _inspected(real)
    trigger = _fault(BEFORE_RELEASE, "ReturnRejected/UnmarkRejected", when="after")
    _accept_failing(real, scene, sent, trigger)
    _undone_at_the_receiver(real, scene, sent, trigger)
    rejected = scene.ids[2]
    assert real.file_of(ORG, rejected)[1]["status"] == "closed"  # given back before the failure
    real.injector.disarm()
    real.transfer.inspect(sent["id"], rejected, "accept")
    after, run = real.transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "AcceptanceFailed", run
    assert after["status"] == "awaiting_inspection" and f"{rejected}: not-marked" in after["error"]["detail"], after
    _nothing_at_the_archive(real, scene, *_events(real, scene))
    real.transfer.inspect(sent["id"], rejected, "reject", reason="given back already")
    _, run = real.transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED", run
    _accepted(real, scene, sent["id"])
