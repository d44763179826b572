"""The transfer sagas end to end: package (mark, box out, payload, bag, verification) and acceptance (receive,
boxes, rejected files back, release), with a failure injected at every step. Records', audit's and stacks'
steps are the contract fakes here (they fail on demand); the happy path and the tampered bag run with the real
steps in test_transfer_saga_real.py."""
from __future__ import annotations

import bagit
import boto3
import pytest

from tests.integration.circulation_world import InjectedFailure, TransientError
from tests.integration.transfer_world import ARCHIVE, ARCHIVE_ARCHIVIST, BUCKET, ORG


@pytest.fixture
def three(transfer):
    for fid in ("F-1", "F-2", "F-3"):
        transfer.closed_file(fid)
    transfer.stacks.add(ORG, "B-12", ["F-1", "F-2"])
    transfer.stacks.add(ORG, "B-3", ["F-3"])
    return transfer


def _sender_consistent(transfer, file_ids, status="closed") -> None:
    """Nothing half-moved: every file back as it was, no box in transfer, nothing at the receiver."""
    for fid in file_ids:
        f = transfer.records.files[(ORG, fid)]
        assert (f.status, f.marked_by) == (status, None), (fid, f)
        assert (ARCHIVE, fid) not in transfer.records.files
    assert all(b.status == "shelved" for b in transfer.stacks.boxes.values() if b.org_id == ORG)
    assert not [b for b in transfer.stacks.boxes.values() if b.org_id == ARCHIVE]


def test_a_component_corrupt_at_the_sender_refuses_the_transfer_naming_it(three):
    transfer = three
    transfer.records.corrupt.add("c1")
    failed, run = transfer.send(transfer.draft(["F-1"]))
    assert failed["status"] == "failed" and failed["error"]["slug"] == "component-corrupt"
    assert "F-1" in failed["error"]["detail"] and "c1" in failed["error"]["detail"]
    _sender_consistent(transfer, ["F-1"])


PACKAGE_STEPS = ["prepare", "page", "mark_for_transfer", "transfer_out_boxes", "record_page", "package_files",
                 "export_history", "record_entries", "finish_bag", "verify_bag"]


@pytest.mark.parametrize("step", PACKAGE_STEPS)
def test_a_failure_at_any_package_step_leaves_both_sides_as_they_were(three, step):
    transfer = three
    draft = transfer.draft(["F-1", "F-2", "F-3"])
    transfer.faults.fail(step, InjectedFailure(f"{step} broke"))
    failed, run = transfer.send(draft)
    assert run["status"] == "FAILED" and run.get("error") == "TransferFailed", run
    assert transfer.states_entered(run)[-4:] == ["UnmarkForTransfer", "CancelTransferOut", "FailTransfer",
                                                 "PackageFailed"] or step == "prepare"
    assert failed["status"] == "failed" and f"{step} broke" in failed["error"]["detail"], failed
    _sender_consistent(transfer, ["F-1", "F-2", "F-3"])
    assert transfer.get(draft["id"], who=ARCHIVE_ARCHIVIST)["status"] == "failed"  # both sides see it
    assert transfer.draft(["F-1", "F-2", "F-3"])["status"] == "draft"  # the files are free again


@pytest.mark.parametrize("step", ["mark_for_transfer", "package_files", "finish_bag", "verify_bag"])
def test_a_transient_error_is_retried_not_compensated(three, step):
    transfer = three
    transfer.faults.fail(step, TransientError("busy"), times=2)
    sent, run = transfer.send(transfer.draft(["F-1", "F-2"]))
    assert run["status"] == "SUCCEEDED" and sent["status"] == "awaiting_inspection", (run, sent)


def _verified(transfer, file_ids) -> dict:
    sent, run = transfer.send(transfer.draft(file_ids))
    assert sent["status"] == "awaiting_inspection", sent
    return sent


ACCEPT_STEPS = ["begin_accept", "verify_at_intake", "receive_files", "record_received", "page_boxes", "receive_boxes",
                "unmark_for_transfer"]


@pytest.mark.parametrize("step", ACCEPT_STEPS)
def test_a_failure_at_any_acceptance_step_is_undone_at_the_receiver(three, step):
    transfer = three
    sent = _verified(transfer, ["F-1", "F-2", "F-3"])
    for fid, outcome in (("F-1", "accept"), ("F-2", "accept"), ("F-3", "reject")):
        transfer.inspect(sent["id"], fid, outcome, reason="not ours" if outcome == "reject" else None)
    transfer.faults.fail(step, InjectedFailure(f"{step} broke"))
    after, run = transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "AcceptanceFailed", run
    assert after["status"] == "awaiting_inspection" and f"{step} broke" in after["error"]["detail"], after
    # the receiver has nothing; the sender's accepted files are still marked (the package stands), none released
    assert not [k for k in transfer.records.files if k[0] == ARCHIVE]
    assert not [b for b in transfer.stacks.boxes.values() if b.org_id == ARCHIVE]
    assert all(transfer.records.files[(ORG, f)].status == "being_transferred" for f in ("F-1", "F-2"))
    assert transfer.records.files[(ORG, "F-3")].status in ("being_transferred", "closed")
    # the receiver accepts again once the cause is gone
    again, run = transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED" and again["status"] == "accepted", (run, again)
    assert transfer.records.files[(ORG, "F-3")].status == "closed"
    assert transfer.records.files[(ARCHIVE, "F-1")].status == "closed"


def test_rejecting_every_file_gives_everything_back_to_the_sender(three):
    transfer = three
    sent = _verified(transfer, ["F-1", "F-2", "F-3"])
    for fid in ("F-1", "F-2", "F-3"):
        transfer.inspect(sent["id"], fid, "reject", reason="out of scope")
    after, run = transfer.accept(sent["id"])
    assert run["status"] == "SUCCEEDED" and after["status"] == "rejected", (run, after)
    _sender_consistent(transfer, ["F-1", "F-2", "F-3"])
    assert {f["state"] for f in transfer.files(sent["id"])} == {"returned"}


def test_an_export_is_a_standard_bag_of_any_selection_and_moves_nothing(three, tmp_path):
    import io
    import urllib.parse
    import zipfile

    transfer = three
    transfer.hold(["F-2"])  # a copy: a hold does not stop an export
    started = transfer.post("/transfers/exports", {"file_ids": ["F-1", "F-2"]}, expect=202)
    assert started["kind"] == "export" and started["download"] is None
    run = transfer.wait("transfer-package", f"package-{started['id']}")
    assert run["status"] == "SUCCEEDED", run
    assert "MarkPages" not in transfer.states_entered(run)
    ready = transfer.ok("GET", "/transfers/exports/{export_id}", path={"export_id": started["id"]})
    assert ready["status"] == "ready" and ready["download"]["bag"].startswith("https://")
    key = urllib.parse.unquote(urllib.parse.urlparse(ready["download"]["bag"]).path).lstrip("/")
    key = key.removeprefix(BUCKET + "/")  # path-style URLs name the bucket first
    data = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    bag = bagit.Bag(str(tmp_path / started["id"]))
    bag.validate()
    assert "data/files/F-2/items/i1/components/c1/page-1.txt" in bag.payload_entries()
    assert (tmp_path / started["id"] / "ead3.xml").read_text().count('level="file"') == 2
    _sender_consistent(transfer, ["F-1", "F-2", "F-3"])  # nothing marked, nothing moved
    status, _, _ = transfer.call("GET", "/transfers/exports/{export_id}", path={"export_id": started["id"]},
                                 who=ARCHIVE_ARCHIVIST)
    assert status == 404
