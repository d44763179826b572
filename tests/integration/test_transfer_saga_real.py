"""The transfer sagas with the REAL steps of every capability: records (RecordsTasksFunction and
RecordsTransferFunction), audit (AuditTasksFunction) and stacks (StacksTasksFunction) answer the lambda:invoke
calls of both state machines, as template.yaml wires them.

GIVEN closed permanent files filed through records, each with a component uploaded and captured, and boxes in
stacks holding them on a shelf (stacks and transfer know the files from records' own published events)
WHEN the records centre sends them to the archive, the archive inspects (accepting two, rejecting one) and
accepts
THEN the archive holds the accepted files closed, with the same ids and components whose bytes match the
recorded checksums, the sender keeps `transferred` residual records, the box of the accepted files moved (the
sender's `transferred`, the receiver's registered `in_transfer`), and the rejected file and its box stayed.

A component damaged in the bag fails the transfer naming it and gives every file back: before the sender's
verification (while packaging), after it (caught at intake, when the archive accepts) and between the intake
check and records' copy (records' own hash check).
A failure injected at every step of both sagas runs with the real steps too: test_transfer_saga_failures_real.py.
"""
from __future__ import annotations

import hashlib
import uuid

import boto3
import bagit
import pytest
import requests

from tests.integration.records_world import rule, scheme_events
from tests.integration.test_stacks_record_files import feed as feed_stacks
from tests.integration.transfer_world import ARCHIVE, ARCHIVE_ARCHIVIST, ARCHIVIST, BUCKET, ORG
from tests.support.events import claims

MANAGER = claims("u-centre-stacks", ORG, ["stack_manager"])
ARCHIVE_MANAGER = claims("u-archive-stacks", ARCHIVE, ["stack_manager"])
SHELF = "R01-01-01-1"


class Real:
    """Records' and stacks' APIs for the two organisations of the transfer world."""

    def __init__(self, transfer, records, stacks, bucket: str) -> None:
        self.transfer, self.records, self.stacks, self.bucket = transfer, records, stacks, bucket
        self.s3 = boto3.client("s3")

    def closed_file(self, data: bytes) -> dict:
        """A permanent file (FIN-02) with one item holding one captured component, closed."""
        file = self.records.file("FIN-02", who=ARCHIVIST, reference=f"REF-{uuid.uuid4().hex[:6]}")
        item = self.records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]},
                               who=ARCHIVIST, expect=201, headers={"Idempotency-Key": uuid.uuid4().hex},
                               body={"registration_number": f"REG-{uuid.uuid4().hex[:8]}", "title": "Minutes"})
        path = {"file_id": file["id"], "item_id": item["id"]}
        base = "/records/files/{file_id}/items/{item_id}/components/uploads"
        upload = self.records.ok("POST", base, path=path, who=ARCHIVIST, expect=201,
                                 headers={"Idempotency-Key": uuid.uuid4().hex},
                                 body={"filename": "minutes.pdf", "media_type": "application/pdf", "size": len(data),
                                       "sha256": hashlib.sha256(data).hexdigest()})
        put = requests.put(upload["upload"]["url"], data=data, headers=upload["upload"]["headers"])
        assert put.status_code == 200, put.text
        component = self.records.ok("POST", base + "/{upload_id}/complete", path={**path, "upload_id": upload["id"]},
                                    who=ARCHIVIST, expect=201, body={},
                                    headers={"Idempotency-Key": uuid.uuid4().hex})
        status, closed, _ = self.records.close(self.records.get(file["id"], who=ARCHIVIST), who=ARCHIVIST)
        assert status == 200, closed
        return {**closed, "item_id": item["id"], "component": component, "data": data}

    def publish(self) -> None:
        """Records' published events, as the relay delivers them, to transfer's and stacks' consumers."""
        published = self.records.events()
        self.transfer.feed(published)
        assert feed_stacks(published) == {"batchItemFailures": []}

    def shelved_box(self, barcode: str, file_ids: list[str]) -> dict:
        box = self.stacks.box(barcode, self.box_profile, who=MANAGER, files=file_ids)
        status, body, _ = self.stacks.place(box, SHELF, who=MANAGER)
        assert status == 200, body
        return body["box"]

    def lay_out(self) -> None:
        self.stacks.repository("R01", who=MANAGER)
        self.stacks.range_("R01", 1, self.stacks.shelf_profile(who=MANAGER)["id"], who=MANAGER)
        self.box_profile = self.stacks.box_profile(who=MANAGER)["id"]

    def file_of(self, org: str, file_id: str) -> tuple[int, dict]:
        who = ARCHIVIST if org == ORG else ARCHIVE_ARCHIVIST
        status, body, _ = self.records.call("GET", "/records/files/{file_id}", path={"file_id": file_id}, who=who)
        return status, body

    def components_at(self, org: str, file: dict) -> list[dict]:
        who = ARCHIVIST if org == ORG else ARCHIVE_ARCHIVIST
        return self.records.ok("GET", "/records/files/{file_id}/items/{item_id}/components",
                               path={"file_id": file["id"], "item_id": file["item_id"]}, who=who)["items"]

    def bytes_of(self, org: str, file: dict, component_id: str) -> bytes:
        key = f"components/{org}/{file['id']}/{file['item_id']}/{component_id}"
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()


@pytest.fixture
def real(transfer, records, stacks, monkeypatch) -> Real:
    """The transfer world with records', audit's and stacks' real task handlers in the router; one process,
    each capability on the table named after it (TABLE_NAME unset)."""
    from audit import tasks as audit_tasks
    from audit.data import exports
    from records import tasks as records_tasks
    from records.data import components as store
    from stacks import tasks as stacks_tasks

    s3 = boto3.client("s3")
    bucket = f"records-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("RECORDS_BUCKET", bucket)
    monkeypatch.delenv("TABLE_NAME", raising=False)
    store.reset_client()
    exports.reset_client()
    transfer.use_real("RecordsTasksFunction", records_tasks.handler)
    transfer.use_real("RecordsTransferFunction", records_tasks.transfer_handler)
    transfer.use_real("AuditTasksFunction", audit_tasks.handler)
    transfer.use_real("StacksTasksFunction", stacks_tasks.handler)
    tasks = {"FIN-01": rule("5y"), "FIN-02": rule("permanent", access="closed", grounds=[2])}
    for org in (ORG, ARCHIVE):
        assert records.feed(scheme_events(1, tasks, org)) == {"batchItemFailures": []}
    world = Real(transfer, records, stacks, bucket)
    world.lay_out()
    yield world
    store.reset_client()


def test_a_transfer_moves_real_files_with_verified_components_and_their_box(real, tmp_path):
    transfer = real.transfer
    kept, other, rejected = (real.closed_file(f"minutes {n}".encode() * 1000) for n in range(3))
    real.publish()
    moving = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [kept["id"], other["id"]])
    staying = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [rejected["id"]])
    ids = [kept["id"], other["id"], rejected["id"]]

    draft = transfer.draft(ids)
    sent, run = transfer.send(draft)
    assert run["status"] == "SUCCEEDED", run
    assert sent["status"] == "awaiting_inspection", sent
    assert {real.file_of(ORG, f)[1]["status"] for f in ids} == {"being_transferred"}
    assert {real.stacks.get_box(b["id"], who=MANAGER)["status"] for b in (moving, staying)} == {"in_transfer"}
    transfer.download(f"transfers/{ORG}/{draft['id']}", tmp_path)
    bag = bagit.Bag(str(tmp_path))
    bag.validate()  # every checksum, the real component bytes included
    c = kept["component"]
    assert f"data/files/{kept['id']}/items/{kept['item_id']}/components/{c['id']}/minutes.pdf" in \
        bag.payload_entries()

    transfer.inspect(draft["id"], kept["id"], "accept")
    transfer.inspect(draft["id"], other["id"], "accept")
    transfer.inspect(draft["id"], rejected["id"], "reject", reason="not ours to keep")
    accepted, run = transfer.accept(draft["id"])
    assert run["status"] == "SUCCEEDED", run
    assert accepted["status"] == "accepted" and (accepted["accepted_count"], accepted["rejected_count"]) == (2, 1)

    for file in (kept, other):
        status, theirs = real.file_of(ARCHIVE, file["id"])
        assert status == 200 and theirs["status"] == "closed", theirs
        [component] = real.components_at(ARCHIVE, file)
        assert component["id"] == file["component"]["id"] and component["sha256"] == file["component"]["sha256"]
        assert component["fixity"]["status"] == "ok"  # verified on both ends
        data = real.bytes_of(ARCHIVE, file, component["id"])
        assert data == file["data"] and hashlib.sha256(data).hexdigest() == component["sha256"]
        status, ours = real.file_of(ORG, file["id"])
        assert status == 200 and ours["status"] == "transferred", ours
    # the rejected file stays the sender's, closed again; the archive never had it
    assert real.file_of(ORG, rejected["id"])[1]["status"] == "closed"
    assert real.file_of(ARCHIVE, rejected["id"])[0] == 404
    # the box of the accepted files moved; the rejected file's box did not
    left = real.stacks.get_box(moving["id"], who=MANAGER)
    assert left["status"] == "transferred" and left["home_location_id"] is None
    arrived = real.stacks.get_box(moving["id"], who=ARCHIVE_MANAGER)
    assert arrived["status"] == "in_transfer" and sorted(arrived["files"]) == sorted([kept["id"], other["id"]])
    assert real.stacks.get_box(staying["id"], who=MANAGER)["status"] != "transferred"
    assert real.stacks.call("GET", "/boxes/{box_id}", path={"box_id": staying["id"]}, who=ARCHIVE_MANAGER)[0] == 404
    states = {f["file_id"]: f["state"] for f in transfer.files(draft["id"])}
    assert states == {kept["id"]: "transferred", other["id"]: "transferred", rejected["id"]: "returned"}
    assert {"TransferCreated", "TransferSent", "TransferPackageVerified", "FileInspected", "TransferAccepted"} <= \
        {e["type"] for e in transfer.events()}
    real.publish()  # records' events of the transfer reach transfer's read model: the rejected file is free again
    assert transfer.draft([rejected["id"]])["file_count"] == 1


def test_a_component_tampered_in_the_bag_stops_the_transfer_and_gives_the_real_files_back(real):
    transfer = real.transfer
    files = [real.closed_file(f"report {n}".encode() * 500) for n in range(2)]
    real.publish()
    box = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [f["id"] for f in files])
    draft = transfer.draft([f["id"] for f in files])
    bad = files[1]
    path = f"data/files/{bad['id']}/items/{bad['item_id']}/components/{bad['component']['id']}/minutes.pdf"
    from records import tasks as records_tasks

    def tampering(event, context):  # the bag is altered after records wrote it, before the receiver verifies it
        result = records_tasks.transfer_handler(event, context)
        if event["step"] == "package_files" and bad["id"] in event["file_ids"]:
            boto3.client("s3").put_object(Bucket=BUCKET, Key=f"transfers/{ORG}/{draft['id']}/{path}", Body=b"altered")
        return result

    transfer.use_real("RecordsTransferFunction", tampering)
    failed, run = transfer.send(draft)
    assert run["status"] == "FAILED", run
    assert failed["status"] == "failed" and failed["error"]["slug"] == "bag-invalid", failed
    assert path in failed["error"]["detail"]
    assert {f["file_id"]: f["state"] for f in transfer.files(draft["id"])}[bad["id"]] == "failed_verification"
    # compensated for real: records' files closed again, stacks' box back on its shelf
    assert {real.file_of(ORG, f["id"])[1]["status"] for f in files} == {"closed"}
    back = real.stacks.get_box(box["id"], who=MANAGER)
    assert back["status"] == "shelved" and back["home_location_id"] == SHELF


def _damage(key: str) -> tuple[str, str]:
    """The object at `key` in the packages bucket replaced by bytes of the same length that differ (a copy
    damaged in storage or transit); (the SHA-256 it had, the one it has now)."""
    s3 = boto3.client("s3")
    data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    damaged = data.swapcase()
    assert damaged != data and len(damaged) == len(data)
    s3.put_object(Bucket=BUCKET, Key=key, Body=damaged)
    return hashlib.sha256(data).hexdigest(), hashlib.sha256(damaged).hexdigest()


def _nothing_moved(real, files: list[dict], box: dict) -> None:
    """Both sides exactly as before the transfer: the sender's files closed (unmarked), their box back on its
    shelf; nothing at the archive (no file, no component bytes, no box)."""
    assert {real.file_of(ORG, f["id"])[1]["status"] for f in files} == {"closed"}
    assert all(real.file_of(ARCHIVE, f["id"])[0] == 404 for f in files)
    left = real.s3.list_objects_v2(Bucket=real.bucket, Prefix=f"components/{ARCHIVE}/").get("KeyCount")
    assert left == 0, left
    back = real.stacks.get_box(box["id"], who=MANAGER)
    assert back["status"] == "shelved" and back["home_location_id"] == SHELF
    assert real.stacks.call("GET", "/boxes/{box_id}", path={"box_id": box["id"]}, who=ARCHIVE_MANAGER)[0] == 404


def test_a_component_damaged_after_verification_fails_the_transfer_at_intake_naming_it(real):
    """GIVEN a verified package awaiting inspection WHEN one component's bytes in the bag change (same length)
    and the archive accepts THEN the intake verification names the file's path and both SHA-256s, the transfer
    is failed, every file is the sender's again (closed, box shelved), nothing is at the archive, the file is
    listed `failed_verification`, and the files can be sent again."""
    transfer = real.transfer
    files = [real.closed_file(f"ledger {n}".encode() * 400) for n in range(2)]
    real.publish()
    box = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [f["id"] for f in files])
    sent, run = transfer.send(transfer.draft([f["id"] for f in files]))
    assert run["status"] == "SUCCEEDED" and sent["status"] == "awaiting_inspection", (run, sent)
    bad = files[1]
    path = f"data/files/{bad['id']}/items/{bad['item_id']}/components/{bad['component']['id']}/minutes.pdf"
    was, now = _damage(f"transfers/{ORG}/{sent['id']}/{path}")
    assert was == bad["component"]["sha256"]
    for f in files:
        transfer.inspect(sent["id"], f["id"], "accept")

    failed, run = transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "TransferFailed", run
    assert "ReceivePages" not in transfer.states_entered(run)  # caught before anything was received
    assert failed["status"] == "failed" and failed["error"]["slug"] == "bag-invalid", failed
    assert f"{path}: SHA-256 {now} in the bag, {was} in the manifest" in failed["error"]["detail"], failed
    assert transfer.get(sent["id"])["status"] == "failed"  # the sender sees it too
    states = {f["file_id"]: f["state"] for f in transfer.files(sent["id"])}
    assert states == {bad["id"]: "failed_verification", files[0]["id"]: "returned"}, states
    _nothing_moved(real, files, box)
    real.publish()  # records' events of the undoing reach transfer's read model: the files are free again
    again, run = transfer.send(transfer.draft([f["id"] for f in files]))
    assert run["status"] == "SUCCEEDED" and again["status"] == "awaiting_inspection", (run, again)


def test_a_component_damaged_while_the_archive_takes_it_in_fails_the_transfer_as_well(real):
    """Damage after the intake verification (the bytes change between that check and records' copy): records'
    own hash check refuses the component, what the archive already received is removed, and the transfer ends
    failed the same way (not back to inspection: the bag no longer verifies)."""
    transfer = real.transfer
    files = [real.closed_file(f"survey {n}".encode() * 400) for n in range(2)]
    real.publish()
    box = real.shelved_box(f"BX-{uuid.uuid4().hex[:6]}", [f["id"] for f in files])
    sent, run = transfer.send(transfer.draft([f["id"] for f in files]))
    assert sent["status"] == "awaiting_inspection", (run, sent)
    bad = files[1]  # the page's second file: the first is received before records meets the damage
    path = f"data/files/{bad['id']}/items/{bad['item_id']}/components/{bad['component']['id']}/minutes.pdf"
    from transfer import tasks as transfer_tasks

    def damaging(event, context):
        result = transfer_tasks.handler(event, context)
        if event.get("step") == "verify_at_intake":
            _damage(f"transfers/{ORG}/{sent['id']}/{path}")
        return result

    transfer.use_real("TransferTasksFunction", damaging)
    for f in files:
        transfer.inspect(sent["id"], f["id"], "accept")
    failed, run = transfer.accept(sent["id"])
    assert run["status"] == "FAILED" and run.get("error") == "TransferFailed", run
    assert {"ReceivePages", "UnreceivePages", "ReturnUnverified"} <= set(transfer.states_entered(run))
    assert failed["status"] == "failed" and failed["error"]["slug"] == "bag-invalid", failed
    assert bad["id"] in failed["error"]["detail"] and bad["component"]["id"] in failed["error"]["detail"]
    assert {f["file_id"]: f["state"] for f in transfer.files(sent["id"])}[bad["id"]] == "failed_verification"
    _nothing_moved(real, files, box)
