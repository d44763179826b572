"""The transfer sagas with records', audit's and stacks' steps answered by the contract fakes: a component
corrupt at the sender, and exports. The happy path and a tampered bag run with the real steps in
test_transfer_saga_real.py, and a failure injected at every step of both sagas in
test_transfer_saga_failures_real.py."""
from __future__ import annotations

import bagit
import boto3
import pytest

from tests.integration.transfer_world import ARCHIVE, ARCHIVE_ARCHIVIST, BUCKET, ORG, three_files


@pytest.fixture
def three(transfer):
    return three_files(transfer)


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
