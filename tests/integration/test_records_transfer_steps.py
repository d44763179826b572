"""Records' transfer steps (contract B1) against moto in process, called as Step Functions' lambda:invoke calls
them: `records.tasks.handler` (mark, unmark) and `records.tasks.transfer_handler` (package, receive, unreceive,
release). The sender is org-alpha, the receiver org-beta; org-gamma is any other organisation.

Each step is run twice where it matters: the second answer is the first, and no event is emitted twice.
"""
from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest

from tests.integration.records_world import ARCHIVIST, ORG, OTHER_ARCHIVIST, OTHER_ORG, Records
from tests.integration.test_records_components import Components
from tests.support.events import FakeLambdaContext, claims

RECEIVER = OTHER_ORG
THIRD = claims("u-gamma", "org-gamma", ["archivist", "admin"])
BODY = b"%PDF-1.7 annual report of the finance division\n" * 128
PREFIX = "transfers/t-1/bag"


@pytest.fixture
def world(records: Records, monkeypatch) -> "Transfers":
    s3 = boto3.client("s3")
    bucket = f"records-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    packages = f"packages-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=packages)
    s3.put_bucket_versioning(Bucket=packages, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("RECORDS_BUCKET", bucket)
    monkeypatch.setenv("TRANSFER_BUCKET", packages)
    from records.data import components as store
    store.reset_client()
    records.scheme()
    records.scheme(org_id=OTHER_ORG)
    return Transfers(records, bucket, packages)


class Transfers(Components):
    def __init__(self, records: Records, bucket: str, packages: str) -> None:
        super().__init__(records, bucket)
        self.packages = packages

    def closed_file(self, items: int = 1, data: bytes = BODY, who=ARCHIVIST) -> dict:
        """A permanent file (FIN-02) with `items` items of one component each, closed."""
        file = self.records.file("FIN-02", who=who, reference=f"REF-{uuid.uuid4().hex[:6]}")
        components = []
        for n in range(items):
            item = self.records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]}, who=who,
                                   body={"registration_number": f"REG-{uuid.uuid4().hex[:8]}", "title": f"Report {n}"},
                                   headers={"Idempotency-Key": uuid.uuid4().hex}, expect=201)
            components.append(self.capture(file, item, data=data + bytes([n])) if who is ARCHIVIST else None)
        status, closed, _ = self.records.close(self.records.get(file["id"], who=who), who=who)
        assert status == 200, closed
        return {**closed, "components": components}

    def step(self, name: str, **body):
        from records import tasks
        handler = tasks.handler if name in tasks.STEPS else tasks.transfer_handler
        return handler({"step": name, "correlation_id": "corr-t", "execution_id": "exec-t", **body},
                       FakeLambdaContext())

    def mark(self, file_ids, transfer_id="t-1"):
        return self.step("mark_for_transfer", org_id=ORG, transfer_id=transfer_id, file_ids=file_ids)

    def package(self, file_ids, transfer_id="t-1"):
        return self.step("package_files", org_id=ORG, transfer_id=transfer_id, file_ids=file_ids,
                         bucket=self.packages, prefix=PREFIX)

    def receive(self, file_ids, receiver=RECEIVER, transfer_id="t-1"):
        return self.step("receive_files", receiver_org=receiver, sender_org=ORG, transfer_id=transfer_id,
                         file_ids=file_ids, bucket=self.packages, prefix=PREFIX)

    def unreceive(self, file_ids, receiver=RECEIVER, transfer_id="t-1"):
        return self.step("unreceive_files", receiver_org=receiver, sender_org=ORG, transfer_id=transfer_id,
                         file_ids=file_ids, bucket=self.packages, prefix=PREFIX)

    def release(self, file_ids, receiver=RECEIVER, transfer_id="t-1"):
        return self.step("release_files", org_id=ORG, transfer_id=transfer_id, file_ids=file_ids,
                         receiver_org=receiver)

    def status_events(self, status: str) -> list[dict]:
        return [e for e in self.records.events("FileStatusChanged") if e["payload"]["status"] == status]

    def package_keys(self, under: str = PREFIX) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.packages, Prefix=under)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def package_versions(self) -> int:
        listed = self.s3.list_object_versions(Bucket=self.packages)
        return len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))

    def rows_of(self, org_id: str, file_id: str) -> list[tuple[str, str]]:
        return [k for k in self.records.keys() if k[0] in (f"ORG#{org_id}", f"ORG#{org_id}#FILE#{file_id}")
                and (k[0].endswith(file_id) or k[1] == f"FILE#{file_id}")]

    def read_package(self, path: str) -> bytes:
        return self.s3.get_object(Bucket=self.packages, Key=f"{PREFIX}/{path}")["Body"].read()


def _tamper_captured_version(world: Transfers, component: dict) -> None:
    """Object Lock makes this impossible in S3; moto's store is changed directly to prove the check itself."""
    key, version = world.component_key(component)
    from moto.s3.models import s3_backends
    stored = s3_backends["123456789012"]["global"].get_object(world.bucket, key, version_id=version)
    stored.value = b"forged bytes of the same kind"


# ------------------------------------------------------------------ marking
def test_marking_is_idempotent_refuses_each_file_by_name_and_freezes_the_file(world):
    closed = world.closed_file()
    still_open = world.records.file("FIN-01")
    theirs = world.records.file("FIN-01", who=OTHER_ARCHIVIST)
    page = [closed["id"], still_open["id"], theirs["id"], "no-such-file"]
    first = world.mark(page)
    assert first == {"marked": [closed["id"]], "refused": [
        {"file_id": still_open["id"], "reason": "not-closed"}, {"file_id": theirs["id"], "reason": "unknown-file"},
        {"file_id": "no-such-file", "reason": "unknown-file"}]}
    assert world.mark(page) == first
    assert len(world.status_events("being_transferred")) == 1
    assert world.mark([closed["id"]], transfer_id="t-2")["refused"] == [
        {"file_id": closed["id"], "reason": "in-other-run"}]
    shown = world.records.get(closed["id"])
    assert (shown["status"], shown["prior_status"], shown["transfer_id"]) == ("being_transferred", "closed", "t-1")
    assert world.records.get(theirs["id"], who=OTHER_ARCHIVIST)["status"] == "open"  # never touched
    # nothing changes a file while it is being transferred: edits, items, components, overrides, access
    if_match = {"If-Match": f'"{shown["version"]}"'}
    path = {"file_id": closed["id"]}
    refused = [
        world.records.call("PATCH", "/records/files/{file_id}", path=path, body={"title": "x"}, headers=if_match),
        world.records.call("POST", "/records/files/{file_id}/items", path=path, body={
            "registration_number": "REG-late", "title": "late"}, headers={"Idempotency-Key": "late"}),
        world.records.call("POST", "/records/files/{file_id}/retention", path=path,
                           body={"retention": "30y", "reason": "because"}, headers={**if_match, "Idempotency-Key": "r"}),
        world.records.call("POST", "/records/files/{file_id}/access", path=path,
                           body={"classification": "open", "reason": "reviewed"},
                           headers={**if_match, "Idempotency-Key": "a"}),
    ]
    assert [status for status, _, _ in refused] == [409, 409, 409, 409], refused
    component = closed["components"][0]
    item_path = {"file_id": closed["id"], "item_id": component["item_id"]}
    assert world.records.call("PATCH", "/records/files/{file_id}/items/{item_id}/components/{component_id}",
                              path={**item_path, "component_id": component["id"]}, body={"label": "x"},
                              headers={"If-Match": '"1"'})[0] == 409
    assert world.ask({"id": closed["id"]}, {"id": component["item_id"]})[0] == 409


def test_unmarking_returns_each_file_to_its_prior_status_and_tolerates_nothing_to_undo(world):
    closed, other = world.closed_file(), world.closed_file()
    world.mark([closed["id"]])
    page = [closed["id"], other["id"], "no-such-file"]
    first = world.step("unmark_for_transfer", org_id=ORG, transfer_id="t-1", file_ids=page)
    assert first == {"unmarked": [closed["id"]]}
    assert world.step("unmark_for_transfer", org_id=ORG, transfer_id="t-1", file_ids=page) == first
    assert len(world.status_events("being_transferred")) == 1
    back = [e for e in world.status_events("closed") if e["payload"].get("transfer_id") == "t-1"]
    assert len(back) == 1 and back[0]["payload"]["previous"] == "being_transferred"
    shown = world.records.get(closed["id"])
    assert (shown["status"], shown["prior_status"]) == ("closed", None)
    status, _, _ = world.records.call("PATCH", "/records/files/{file_id}", path={"file_id": closed["id"]},
                                      body={"title": "Corrected"}, headers={"If-Match": f'"{shown["version"]}"'})
    assert status == 200  # editable again
    assert world.step("unmark_for_transfer", org_id=ORG, transfer_id="t-9", file_ids=[other["id"]]) == {
        "unmarked": []}


def test_a_page_is_at_most_25_files_and_the_package_is_in_the_transfer_bucket(world):
    for call in (lambda: world.mark([f"f-{n}" for n in range(26)]),
                 lambda: world.step("package_files", org_id=ORG, transfer_id="t-1", file_ids=["f"],
                                    bucket="somebody-elses-bucket", prefix=PREFIX)):
        with pytest.raises(Exception) as raised:
            call()
        assert type(raised.value).__name__ == "InvalidTaskInput"


# ------------------------------------------------------------------ packaging
def test_packaging_writes_each_document_and_verified_component_once(world):
    file = world.closed_file(items=2)
    unmarked = world.closed_file()
    world.mark([file["id"]])
    first = world.package([file["id"], unmarked["id"]])
    assert first["refused"] == [{"file_id": unmarked["id"], "reason": "not-marked"}]
    paths = sorted(e["path"] for e in first["entries"])
    items = sorted(c["item_id"] for c in file["components"])
    assert paths == sorted([f"data/files/{file['id']}/file.json"]
                           + [f"data/files/{file['id']}/items/{i}/item.json" for i in items]
                           + [f"data/files/{file['id']}/items/{c['item_id']}/components/{c['id']}/minutes.pdf"
                              for c in file["components"]])
    for entry in first["entries"]:  # every figure is the bytes' own
        data = world.read_package(entry["path"])
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"])
    described = __import__("json").loads(world.read_package(f"data/files/{file['id']}/file.json"))
    assert (described["status"], described["retention"], described["organisation"]) == ("closed", "permanent", ORG)
    assert described["access"]["classification"] == "closed" and described["rule"]["retention"] == "permanent"
    versions = world.package_versions()
    assert world.package([file["id"], unmarked["id"]]) == first
    assert world.package_versions() == versions  # nothing written twice
    assert not world.package_keys(f"{PREFIX}/data/files/{unmarked['id']}")


def test_an_export_packages_unmarked_files_and_leaves_them_as_they_were(world):
    file = world.closed_file()
    before = world.records.get(file["id"])
    events = len(world.records.events())
    exported = world.step("package_files", org_id=ORG, transfer_id="x-1", file_ids=[file["id"]],
                          bucket=world.packages, prefix=PREFIX, export=True)
    assert exported["refused"] == []
    assert f"data/files/{file['id']}/file.json" in {e["path"] for e in exported["entries"]}
    after = world.records.get(file["id"])
    assert (after["status"], after["version"]) == (before["status"], before["version"]) == ("closed", before["version"])
    assert len(world.records.events()) == events  # read-only: nothing recorded
    # without `export` the same unmarked file is refused
    assert world.step("package_files", org_id=ORG, transfer_id="x-2", file_ids=[file["id"]], bucket=world.packages,
                      prefix="transfers/x-2")["refused"] == [{"file_id": file["id"], "reason": "not-marked"}]


def test_a_component_whose_bytes_differ_from_its_checksum_is_refused_by_name_and_leaves_nothing(world, monkeypatch):
    from records.data import transfers as store
    monkeypatch.setattr(store, "PART", 5 * 1024 * 1024)  # a multipart copy, aborted at the end
    big = b"0123456789abcdef" * 65536 * 6  # 6 MiB: parts of 5 and 1 MiB
    sound, corrupt = world.closed_file(), world.closed_file(items=2, data=big)
    _tamper_captured_version(world, corrupt["components"][1])
    world.mark([sound["id"], corrupt["id"]])
    result = world.package([sound["id"], corrupt["id"]])
    assert result["refused"] == [{"file_id": corrupt["id"], "reason": "component-corrupt",
                                  "component_id": corrupt["components"][1]["id"], "detail": result["refused"][0][
                                      "detail"]}]
    assert corrupt["components"][1]["id"] in result["refused"][0]["detail"]
    assert {e["path"].split("/")[2] for e in result["entries"]} == {sound["id"]}
    assert not world.package_keys(f"{PREFIX}/data/files/{corrupt['id']}")  # its first component went again
    assert not world.s3.list_multipart_uploads(Bucket=world.packages).get("Uploads")


# ------------------------------------------------------------------ receiving
def _sent(world, items: int = 1, data: bytes = BODY) -> dict:
    file = world.closed_file(items=items, data=data)
    world.mark([file["id"]])
    assert not world.package([file["id"]])["refused"]
    return file


def test_the_receiver_gets_the_same_file_closed_with_verified_copies_once(world, monkeypatch):
    from records.data import transfers as store
    monkeypatch.setattr(store, "PART", 5 * 1024 * 1024)
    big = b"fedcba9876543210" * 65536 * 6
    file = _sent(world, items=2, data=big)
    first = world.receive([file["id"], "not-sent"])
    assert first == {"received": [file["id"]], "refused": [{"file_id": "not-sent", "reason": "not-in-package"}]}
    assert world.receive([file["id"], "not-sent"]) == first
    assert len(world.records.events("FileReceived")) == 1
    got = world.records.get(file["id"], who=OTHER_ARCHIVIST)
    assert (got["status"], got["custody"]["holder"], got["custody"]["from_org"], got["custody"]["transfer_id"]) == (
        "closed", "received", ORG, "t-1")
    assert (got["title"], got["reference"], got["retention"]) == (file["title"], file["reference"], "permanent")
    for component in file["components"]:
        path = {"file_id": file["id"], "item_id": component["item_id"], "component_id": component["id"]}
        copy = world.records.ok("GET", "/records/files/{file_id}/items/{item_id}/components/{component_id}",
                                path=path, who=OTHER_ARCHIVIST)
        assert (copy["sha256"], copy["size"], copy["fixity"]["status"]) == (component["sha256"], len(big) + 1, "ok")
        key = f"components/{RECEIVER}/{file['id']}/{component['item_id']}/{component['id']}"
        versions = world.s3.list_object_versions(Bucket=world.bucket, Prefix=key)["Versions"]
        assert len(versions) == 1  # one copy, however often it was asked for
        data = world.s3.get_object(Bucket=world.bucket, Key=key)["Body"].read()
        assert hashlib.sha256(data).hexdigest() == component["sha256"]
    assert world.records.call("GET", "/records/files/{file_id}", path={"file_id": file["id"]}, who=THIRD)[0] == 404
    assert world.records.get(file["id"])["status"] == "being_transferred"  # the sender's, until release


def test_a_tampered_copy_in_the_package_is_refused_by_name_and_the_receiver_keeps_nothing(world):
    file = _sent(world, items=2)
    bad = file["components"][1]
    world.s3.put_object(Bucket=world.packages, Body=b"swapped in the package",
                        Key=f"{PREFIX}/data/files/{file['id']}/items/{bad['item_id']}/components/{bad['id']}/minutes.pdf")
    before = world.records.snapshot()
    result = world.receive([file["id"]])
    assert result["received"] == [] and [(r["reason"], r["component_id"]) for r in result["refused"]] == [
        ("component-corrupt", bad["id"])]
    assert world.records.snapshot() == before  # not a row written, none left
    assert not world.s3.list_object_versions(Bucket=world.bucket, Prefix=f"components/{RECEIVER}/").get("Versions")
    assert not world.records.events("FileReceived")


def test_undoing_a_receipt_removes_everything_it_made_and_tolerates_nothing_to_undo(world):
    file = _sent(world, items=2)
    before = world.records.keys()
    world.receive([file["id"]])
    assert len(world.records.keys()) > len(before)
    first = world.unreceive([file["id"], "never-received"])
    assert first == {"unreceived": [file["id"], "never-received"], "skipped": []}
    assert world.unreceive([file["id"], "never-received"]) == first
    assert len(world.records.events("FileReceiptReverted")) == 1
    assert [k for k in world.records.keys() if not k[0].startswith("OUTBOX#")] == \
        [k for k in before if not k[0].startswith("OUTBOX#")]
    assert not world.s3.list_object_versions(Bucket=world.bucket, Prefix=f"components/{RECEIVER}/").get("Versions")
    assert world.records.call("GET", "/records/files/{file_id}", path={"file_id": file["id"]},
                              who=OTHER_ARCHIVIST)[0] == 404
    assert world.records.get(file["id"])["status"] == "being_transferred"  # the sender's: unmarking is its own step


def test_a_receiver_file_of_the_same_id_not_from_this_transfer_is_left_alone(world):
    file = _sent(world)
    world.receive([file["id"]], transfer_id="t-1")
    assert world.receive([file["id"]], transfer_id="t-2")["refused"] == [
        {"file_id": file["id"], "reason": "already-exists"}]
    assert world.unreceive([file["id"]], transfer_id="t-2") == {
        "unreceived": [], "skipped": [{"file_id": file["id"], "reason": "not-received"}]}
    assert world.records.get(file["id"], who=OTHER_ARCHIVIST)["custody"]["transfer_id"] == "t-1"


def test_a_file_given_back_to_the_sender_is_not_received(world):
    file = _sent(world)
    world.step("unmark_for_transfer", org_id=ORG, transfer_id="t-1", file_ids=[file["id"]])
    assert world.receive([file["id"]])["refused"] == [{"file_id": file["id"], "reason": "not-marked", "detail": (
        "the sender's file is no longer marked for this transfer")}]
    assert world.records.call("GET", "/records/files/{file_id}", path={"file_id": file["id"]},
                              who=OTHER_ARCHIVIST)[0] == 404


# ------------------------------------------------------------------ release
def test_release_locks_the_copies_and_leaves_the_sender_a_residual_record(world):
    file = _sent(world)
    world.receive([file["id"]])
    first = world.release([file["id"]])
    assert first == {"released": [file["id"]], "skipped": []}
    assert world.release([file["id"]]) == first
    assert len(world.records.events("FileTransferred")) == 1 and len(world.status_events("transferred")) == 1
    residual = world.records.get(file["id"])
    assert residual["status"] == "transferred" and residual["transferred_to"]["org"] == RECEIVER
    assert residual["transferred_to"]["transfer_id"] == "t-1"
    component = file["components"][0]
    key = f"components/{RECEIVER}/{file['id']}/{component['item_id']}/{component['id']}"
    version = world.s3.list_object_versions(Bucket=world.bucket, Prefix=key)["Versions"][0]["VersionId"]
    locked = world.s3.head_object(Bucket=world.bucket, Key=key, VersionId=version)
    assert locked["ObjectLockMode"] == "GOVERNANCE" and locked["ObjectLockRetainUntilDate"].year > 2100
    with pytest.raises(Exception) as raised:  # the receipt can no longer be undone
        world.unreceive([file["id"]])
    assert type(raised.value).__name__ == "TransferReleased"
    assert world.records.get(file["id"], who=OTHER_ARCHIVIST)["status"] == "closed"
    status, _, _ = world.records.call("PATCH", "/records/files/{file_id}", path={"file_id": file["id"]},
                                      body={"title": "x"}, headers={"If-Match": f'"{residual["version"]}"'})
    assert status == 409  # the residual record is final


def test_release_takes_only_files_the_receiver_received(world):
    received, not_received = _sent(world), _sent(world)
    world.receive([received["id"]])
    result = world.release([received["id"], not_received["id"]])
    assert result == {"released": [received["id"]],
                      "skipped": [{"file_id": not_received["id"], "reason": "not-received"}]}
    assert world.records.get(not_received["id"])["status"] == "being_transferred"


def test_to_the_records_centre_only_the_custody_changes(world):
    file = _sent(world)
    objects = world.s3.list_object_versions(Bucket=world.bucket).get("Versions", [])
    assert world.receive([file["id"]], receiver=ORG) == {"received": [file["id"]], "refused": []}
    assert world.records.get(file["id"])["custody"]["holder"] == "records_centre"
    assert world.unreceive([file["id"]], receiver=ORG) == {"unreceived": [file["id"]], "skipped": []}
    assert world.records.get(file["id"])["custody"] == {"holder": "producing_unit"}
    world.receive([file["id"]], receiver=ORG)
    assert world.receive([file["id"]], receiver=ORG) == {"received": [file["id"]], "refused": []}
    assert len(world.records.events("FileCustodyChanged")) == 3
    assert world.release([file["id"]], receiver=ORG) == {"released": [file["id"]], "skipped": []}
    assert world.release([file["id"]], receiver=ORG) == {"released": [file["id"]], "skipped": []}
    kept = world.records.get(file["id"])
    assert (kept["status"], kept["custody"]["holder"], kept["transferred_to"]) == ("closed", "records_centre", None)
    assert [e["payload"]["kind"] for e in world.records.events("FileTransferred")] == ["to_records_centre"]
    assert world.s3.list_object_versions(Bucket=world.bucket).get("Versions", []) == objects  # nothing copied


def test_another_organisations_files_are_never_touched_by_any_step(world):
    theirs = world.closed_file(who=OTHER_ARCHIVIST)  # org-beta's own file (the receiver's, here)
    rows = sorted(i for i in world.records.snapshot() if f"ORG#{RECEIVER}" in i and "OUTBOX#" not in i)
    page = [theirs["id"]]
    assert world.mark(page)["refused"] == [{"file_id": theirs["id"], "reason": "unknown-file"}]
    assert world.package(page) == {"entries": [], "refused": [{"file_id": theirs["id"], "reason": "unknown-file"}]}
    assert world.receive(page)["refused"] == [{"file_id": theirs["id"], "reason": "already-exists"}]
    assert world.unreceive(page)["skipped"] == [{"file_id": theirs["id"], "reason": "not-received"}]
    assert world.release(page)["skipped"] == [{"file_id": theirs["id"], "reason": "unknown-file"}]
    assert sorted(i for i in world.records.snapshot() if f"ORG#{RECEIVER}" in i and "OUTBOX#" not in i) == rows
    assert world.package_keys() == [] and not world.records.events("FileReceiptReverted")
