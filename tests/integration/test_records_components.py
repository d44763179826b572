"""Digital components against moto in process: uploads through presigned URLs, the complete step's
check, immutability, download access, and fixity finding tampered and missing objects.

moto accepts any bytes on a presigned PUT that signs `x-amz-checksum-sha256` (it stores the declared
checksum without computing it; S3 refuses such a PUT with BadDigest), so these tests also prove the
rule that does not depend on S3: the complete step re-reads the object and captures nothing that
differs from the declaration.
"""
from __future__ import annotations

import base64
import hashlib
import uuid

import boto3
import pytest
import requests

from tests.integration.records_world import (ADMIN, ARCHIVIST, AUDITOR, OTHER_ARCHIVIST, REQUESTER, STACK_MANAGER,
                                             Records)

BODY = b"%PDF-1.7 minutes of the records committee\n" * 64
SHA = hashlib.sha256(BODY).hexdigest()
ITEM_PATH = "/records/files/{file_id}/items/{item_id}"


@pytest.fixture
def world(records: Records, monkeypatch) -> "Components":
    bucket = f"records-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    boto3.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("RECORDS_BUCKET", bucket)
    from records.data import components as store
    store.reset_client()
    records.scheme()
    return Components(records, bucket)


class Components:
    def __init__(self, records: Records, bucket: str) -> None:
        self.records, self.bucket, self.s3 = records, bucket, boto3.client("s3")

    def item(self, class_code: str = "FIN-01") -> tuple[dict, dict]:
        """A file of the class (FIN-02's rule closes it) with one item (the file's access by default)."""
        file = self.records.file(class_code)
        item = self.records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]},
                               body={"registration_number": f"REG-{uuid.uuid4().hex[:8]}", "title": "Minutes"},
                               headers={"Idempotency-Key": uuid.uuid4().hex}, expect=201)
        return file, item

    def path(self, file, item, **more) -> dict:
        return {"file_id": file["id"], "item_id": item["id"], **more}

    def ask(self, file, item, body=BODY, sha=SHA, who=ARCHIVIST, key=None, **extra):
        return self.records.call("POST", f"{ITEM_PATH}/components/uploads", path=self.path(file, item), who=who,
                                 body={"filename": "minutes.pdf", "media_type": "application/pdf", "size": len(body),
                                       "sha256": sha, **extra},
                                 headers={"Idempotency-Key": key or uuid.uuid4().hex})

    def put(self, upload: dict, data: bytes) -> requests.Response:
        instructions = upload["upload"]
        return requests.put(instructions["url"], data=data, headers=instructions["headers"])

    def complete(self, file, item, upload, who=ARCHIVIST, **body):
        return self.records.call("POST", f"{ITEM_PATH}/components/uploads/{{upload_id}}/complete",
                                 path=self.path(file, item, upload_id=upload["id"]), body=body, who=who,
                                 headers={"Idempotency-Key": uuid.uuid4().hex})

    def capture(self, file, item, data=BODY, **extra) -> dict:
        status, upload, _ = self.ask(file, item, body=data, sha=hashlib.sha256(data).hexdigest(), **extra)
        assert status == 201, upload
        assert self.put(upload, data).status_code == 200
        status, component, _ = self.complete(file, item, upload)
        assert status == 201, component
        return component

    def versions(self, key_prefix: str = "components/") -> list[dict]:
        listed = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key_prefix)
        return listed.get("Versions", []) + listed.get("DeleteMarkers", [])

    def component_key(self, component: dict) -> str:
        item = next(i for i in self.records.items() if i["sk"]["S"].endswith(f"#{component['id']}")
                    and i["sk"]["S"].startswith("COMPONENT#"))
        return item["object_key"]["S"], item["object_version"]["S"]

    def fixity(self, now: str = "2030-01-01T00:00:00Z") -> dict:
        from records import tasks
        from tests.support.events import FakeLambdaContext
        return tasks.handler({"job": "fixity", "now": now}, FakeLambdaContext())


# ------------------------------------------------------------------- upload
def test_a_matching_upload_is_captured_locked_and_announced(world):
    file, item = world.item()
    status, upload, headers = world.ask(file, item, sha=base64.b64encode(bytes.fromhex(SHA)).decode())
    assert status == 201 and upload["sha256"] == SHA and upload["status"] == "pending"  # base64 in, hex out
    signed = upload["upload"]["url"].split("X-Amz-SignedHeaders=")[1].split("&")[0]
    assert {"content-length", "content-type", "x-amz-checksum-sha256", "if-none-match"} <= set(
        signed.replace("%3B", ";").split(";"))
    assert world.put(upload, BODY).status_code == 200
    status, component, headers = world.complete(file, item, upload)
    assert status == 201, component
    assert (component["size"], component["sha256"], component["fixity"]["status"]) == (len(BODY), SHA, "unchecked")
    assert headers["etag"] == '"1"'
    key, version = world.component_key(component)
    locked = world.s3.head_object(Bucket=world.bucket, Key=key, VersionId=version)  # moto's GetObjectRetention fails
    assert locked["ObjectLockMode"] == "GOVERNANCE" and locked["ObjectLockRetainUntilDate"].year > 2100
    with pytest.raises(Exception):  # the lock holds: no plain delete of the captured version
        world.s3.delete_object(Bucket=world.bucket, Key=key, VersionId=version)
    captured = world.records.events("ComponentCaptured")
    assert len(captured) == 1
    assert {(s["kind"], s["id"]) for s in captured[0]["subjects"]} == {
        ("record_file", file["id"]), ("record_item", item["id"]), ("component", component["id"])}
    # a retry of complete answers the same component, capturing nothing twice
    status, again, _ = world.complete(file, item, upload)
    assert status == 201 and again["id"] == component["id"] and len(world.records.events("ComponentCaptured")) == 1


def test_a_mismatching_upload_is_never_captured_and_leaves_no_object(world):
    file, item = world.item()
    status, upload, _ = world.ask(file, item)
    assert status == 201
    tampered = BODY[:-1] + b"?"  # same size, other bytes: moto stores them (S3 would refuse with BadDigest)
    assert world.put(upload, tampered).status_code == 200
    before = world.records.snapshot()
    status, problem, headers = world.complete(file, item, upload)
    assert status == 422 and headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/content-mismatch")
    assert [e["field"] for e in problem["errors"]] == ["sha256"] and SHA in problem["detail"]
    assert world.versions() == []  # the refused bytes are gone, every version of them
    components = [k for k in world.records.snapshot() if k[1].startswith("COMPONENT#")]
    assert components == [] and world.records.events("ComponentCaptured") == []
    assert [k for k in world.records.snapshot() if k not in before] == []  # only the upload's status changed
    status, shown, _ = world.records.call("GET", f"{ITEM_PATH}/components/uploads/{{upload_id}}",
                                          path=world.path(file, item, upload_id=upload["id"]))
    assert shown["status"] == "rejected" and shown["mismatches"][0]["field"] == "sha256"
    status, again, _ = world.complete(file, item, upload)  # the same answer, still nothing captured
    assert status == 422 and world.versions() == []


def test_a_short_upload_names_both_differences(world):
    file, item = world.item()
    _, upload, _ = world.ask(file, item)
    requests.put(upload["upload"]["url"], data=BODY[:100], headers={
        k: v for k, v in upload["upload"]["headers"].items() if k != "Content-Length"})
    status, problem, _ = world.complete(file, item, upload)
    assert status == 422 and [e["field"] for e in problem["errors"]] == ["size", "sha256"]
    assert world.versions() == []


def test_completing_before_any_bytes_arrived_is_a_conflict_that_changes_nothing(world):
    file, item = world.item()
    _, upload, _ = world.ask(file, item)
    before = world.records.snapshot()
    status, problem, _ = world.complete(file, item, upload)
    assert status == 409 and world.records.snapshot() == before
    assert world.put(upload, BODY).status_code == 200  # then the real upload completes
    assert world.complete(file, item, upload)[0] == 201


def test_the_presigned_put_writes_its_key_only_once(world):
    file, item = world.item()
    _, upload, _ = world.ask(file, item)
    assert world.put(upload, BODY).status_code == 200
    status, component, _ = world.complete(file, item, upload)
    assert status == 201
    shown = world.records.ok("GET", f"{ITEM_PATH}/components/uploads/{{upload_id}}",
                             path=world.path(file, item, upload_id=upload["id"]))
    assert shown["status"] == "captured" and shown["component_id"] == component["id"]
    # the URL stays valid for a while: If-None-Match: * (signed) refuses a second write over the capture
    assert world.put(upload, b"x" * len(BODY)).status_code == 412
    key, version = world.component_key(component)
    assert [v["VersionId"] for v in world.versions()] == [version]


def test_a_multipart_upload_is_verified_like_a_single_put(world, monkeypatch):
    from records.domain import components as rules
    monkeypatch.setattr(rules, "MULTIPART_THRESHOLD", 6 * rules.MIB)
    monkeypatch.setattr(rules, "MIN_PART_SIZE", 5 * rules.MIB)
    data = b"0123456789abcdef" * 65536 * 11  # 11 MiB: three parts of 5, 5 and 1 MiB
    file, item = world.item()
    status, upload, _ = world.ask(file, item, body=data, sha=hashlib.sha256(data).hexdigest())
    assert status == 201 and upload["method"] == "multipart", upload
    parts = upload["upload"]["parts"]
    assert [p["size"] for p in parts] == [5 * rules.MIB, 5 * rules.MIB, 1 * rules.MIB]
    etags, offset = [], 0
    for part in parts:
        answer = requests.put(part["url"], data=data[offset:offset + part["size"]])
        assert answer.status_code == 200
        etags.append({"part_number": part["part_number"], "etag": answer.headers["etag"]})
        offset += part["size"]
    status, problem, _ = world.complete(file, item, upload)
    assert status == 400 and problem["errors"][0]["field"] == "parts"  # the parts are needed
    status, component, _ = world.complete(file, item, upload, parts=etags)
    assert status == 201 and component["size"] == len(data), component


def test_a_multipart_upload_with_a_wrong_part_is_refused_and_removed(world, monkeypatch):
    from records.domain import components as rules
    monkeypatch.setattr(rules, "MULTIPART_THRESHOLD", 6 * rules.MIB)
    monkeypatch.setattr(rules, "MIN_PART_SIZE", 5 * rules.MIB)
    data = bytes(7 * rules.MIB)
    file, item = world.item()
    _, upload, _ = world.ask(file, item, body=data, sha=hashlib.sha256(data).hexdigest())
    etags = []
    for part in upload["upload"]["parts"]:
        answer = requests.put(part["url"], data=b"\x01" * part["size"])  # the right sizes, other bytes
        etags.append({"part_number": part["part_number"], "etag": answer.headers["etag"]})
    status, problem, _ = world.complete(file, item, upload, parts=etags)
    assert status == 422 and problem["errors"][0]["field"] == "sha256"
    assert world.versions() == []


@pytest.mark.parametrize("body, field", [
    ({"sha256": "abc"}, "sha256"),
    ({"size": 0}, "size"),
    ({"size": 6 * 1024 ** 3}, "size"),
    ({"media_type": "pdf"}, "media_type"),
    ({"filename": "../etc/passwd"}, "filename"),
])
def test_bad_declarations_are_400_and_write_nothing(world, body, field):
    file, item = world.item()
    before = world.records.snapshot()
    status, problem, _ = world.ask(file, item, **body)
    assert status == 400 and field in {e["field"] for e in problem["errors"]}, problem
    assert world.records.snapshot() == before and world.versions() == []


# --------------------------------------------------------------- immutable
def test_no_route_changes_captured_content(world):
    file, item = world.item()
    component = world.capture(file, item)
    path = world.path(file, item, component_id=component["id"])
    for change in ({"sha256": "0" * 64}, {"size": 1}, {"media_type": "text/plain"}, {"filename": "x.pdf"},
                   {"object_version": "v2"}):
        status, problem, _ = world.records.call("PATCH", f"{ITEM_PATH}/components/{{component_id}}", path=path,
                                                body=change, headers={"If-Match": '"1"'})
        assert status == 400, (change, problem)
    status, described, headers = world.records.call("PATCH", f"{ITEM_PATH}/components/{{component_id}}", path=path,
                                                    body={"label": "Signed copy"}, headers={"If-Match": '"1"'})
    assert status == 200 and described["label"] == "Signed copy" and headers["etag"] == '"2"'
    assert (described["sha256"], described["size"]) == (SHA, len(BODY))
    assert world.records.call("PATCH", f"{ITEM_PATH}/components/{{component_id}}", path=path,
                              body={"label": "late"}, headers={"If-Match": '"1"'})[0] == 412
    assert [e["payload"]["changes"] for e in world.records.events("ComponentDescribed")] == [{"label": "Signed copy"}]
    from records.app import app
    component_routes = [(r, m) for r, methods in app.routes.items() for m in methods if "/components" in r]
    assert {m for _, m in component_routes} <= {"GET", "POST", "PATCH"}  # no PUT, no DELETE of components
    key, version = world.component_key(component)
    assert [v["VersionId"] for v in world.versions()] == [version]


# ---------------------------------------------------------------- downloads
def test_archivists_and_auditors_download_closed_components_requesters_never(world):
    file, item = world.item("FIN-02")  # a closed class: the file is closed (비공개)
    component = world.capture(file, item)
    path = world.path(file, item, component_id=component["id"])
    for who in (ARCHIVIST, AUDITOR, ADMIN):
        link = world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}/download", path=path, who=who)
        assert requests.get(link["url"]).content == BODY
    for who in (REQUESTER, STACK_MANAGER):
        status, problem, _ = world.records.call("GET", f"{ITEM_PATH}/components/{{component_id}}/download",
                                                path=path, who=who)
        assert status == 403, problem
        shown = world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}", path=path, who=who)
        assert shown["filename"] is None and shown["downloadable"] is False and shown["redacted"] is True


def test_requesters_download_open_components(world):
    file, item = world.item("FIN-01")
    component = world.capture(file, item)
    link = world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}/download",
                            path=world.path(file, item, component_id=component["id"]), who=REQUESTER)
    assert requests.get(link["url"]).content == BODY and link["sha256"] == SHA


def test_another_organisations_ids_answer_404_on_every_route(world):
    file, item = world.item()
    component = world.capture(file, item)
    _, upload, _ = world.ask(file, item)
    path = world.path(file, item, component_id=component["id"], upload_id=upload["id"])
    calls = [("POST", f"{ITEM_PATH}/components/uploads", {"filename": "a.pdf", "media_type": "application/pdf",
                                                          "size": 1, "sha256": SHA}),
             ("GET", f"{ITEM_PATH}/components/uploads/{{upload_id}}", None),
             ("POST", f"{ITEM_PATH}/components/uploads/{{upload_id}}/complete", {}),
             ("GET", f"{ITEM_PATH}/components", None),
             ("GET", f"{ITEM_PATH}/components/{{component_id}}", None),
             ("PATCH", f"{ITEM_PATH}/components/{{component_id}}", {"label": "x"}),
             ("GET", f"{ITEM_PATH}/components/{{component_id}}/download", None)]
    before = world.records.snapshot()
    for method, route, body in calls:
        status, problem, _ = world.records.call(method, route, path=path, body=body, who=OTHER_ARCHIVIST,
                                                headers={"If-Match": '"1"', "Idempotency-Key": uuid.uuid4().hex})
        assert status == 404, (method, route, problem)
    assert world.records.snapshot() == before


# ------------------------------------------------------------------- fixity
def test_fixity_passes_intact_components_and_reports_the_run(world):
    file, item = world.item()
    components = [world.capture(file, item, data=BODY + bytes([n])) for n in range(3)]
    result = world.fixity()
    assert (result["checked"], result["ok"], result["failed"]) == (3, 3, 0)
    runs = world.records.ok("GET", "/records/fixity/runs", who=AUDITOR)["items"]
    assert [(r["checked"], r["ok"], r["bytes_read"]) for r in runs] == [(3, 3, 3 * (len(BODY) + 1))]
    assert world.records.ok("GET", "/records/fixity/runs/{run_id}", path={"run_id": runs[0]["run_id"]},
                            who=ARCHIVIST)["failures"] == []
    shown = world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}",
                             path=world.path(file, item, component_id=components[0]["id"]))
    assert shown["fixity"]["status"] == "ok" and shown["version"] == 1  # a check is not an edit
    assert world.fixity(now="2030-01-02T00:00:00Z")["checked"] == 0  # checked: not due again for a cycle


def test_fixity_detects_an_overwritten_and_a_missing_object(world):
    file, item = world.item()
    kept, overwritten, deleted = (world.capture(file, item, data=BODY + bytes([n])) for n in range(3))
    key, _ = world.component_key(overwritten)
    world.s3.put_object(Bucket=world.bucket, Key=key, Body=b"forged")  # a new version over the captured one
    key, version = world.component_key(deleted)
    world.s3.delete_object(Bucket=world.bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)
    result = world.fixity()
    assert (result["checked"], result["ok"], result["failed"]) == (3, 1, 2)
    reasons = {f["component_id"]: f["reason"] for f in result["failures"]}
    assert reasons == {overwritten["id"]: "superseded", deleted["id"]: "missing"}
    failed = world.records.events("FixityFailed")
    assert {e["payload"]["component_id"]: e["payload"]["reason"] for e in failed} == reasons
    assert all({"record_file", "record_item", "component"} <= {s["kind"] for s in e["subjects"]} for e in failed)
    follow_ups = world.records.ok("GET", "/records/fixity/follow-ups", query={"status": "open"})["items"]
    assert {f["component_id"]: f["reason"] for f in follow_ups} == reasons
    # an archivist resolves one (If-Match), an event says so; it leaves the open list
    first = follow_ups[0]
    status, resolved, _ = world.records.call("POST", "/records/fixity/follow-ups/{follow_up_id}/resolve",
                                             path={"follow_up_id": first["id"]},
                                             body={"resolution": "restored", "note": "from the offline copy"},
                                             headers={"If-Match": '"1"', "Idempotency-Key": "resolve-1"})
    assert status == 200 and resolved["status"] == "resolved", resolved
    assert len(world.records.events("FixityFollowUpResolved")) == 1
    assert len(world.records.ok("GET", "/records/fixity/follow-ups", query={"status": "open"})["items"]) == 1
    assert world.records.call("GET", "/records/fixity/follow-ups", who=REQUESTER)[0] == 403


def test_fixity_detects_changed_bytes_in_the_captured_version(world):
    """Object Lock makes this impossible in S3; moto's store is changed directly to prove the check itself."""
    file, item = world.item()
    component = world.capture(file, item)
    key, version = world.component_key(component)
    from moto.s3.models import s3_backends
    stored = s3_backends["123456789012"]["global"].get_object(world.bucket, key, version_id=version)
    stored.value = BODY[:-1] + b"!"
    result = world.fixity()
    assert [f["reason"] for f in result["failures"]] == ["checksum_mismatch"]


def test_fixity_paces_itself_oldest_first(world, monkeypatch):
    file, item = world.item()
    components = [world.capture(file, item, data=BODY + bytes([n])) for n in range(5)]
    monkeypatch.setenv("FIXITY_MAX_COMPONENTS", "2")
    first = world.fixity()
    assert first["checked"] == 2 and first["backlog"] is True
    assert [f for f in first["failures"]] == []
    second = world.fixity(now="2030-01-01T01:00:00Z")
    third = world.fixity(now="2030-01-01T02:00:00Z")
    assert (second["checked"], third["checked"], third["backlog"]) == (2, 1, False)
    checked = [world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}",
                                path=world.path(file, item, component_id=c["id"]))["fixity"]["status"]
               for c in components]
    assert checked == ["ok"] * 5


def test_an_archivist_checks_one_component_now(world):
    file, item = world.item()
    component = world.capture(file, item)
    path = world.path(file, item, component_id=component["id"])
    route = f"{ITEM_PATH}/components/{{component_id}}/fixity-checks"
    checked = world.records.ok("POST", route, path=path, headers={"Idempotency-Key": "check-1"})
    assert (checked["status"], checked["bytes_read"], checked["reason"]) == ("ok", len(BODY), None)
    key, _ = world.component_key(component)
    world.s3.delete_object(Bucket=world.bucket, Key=key)  # a delete marker hides the captured version
    failed = world.records.ok("POST", route, path=path, headers={"Idempotency-Key": "check-2"})
    assert (failed["status"], failed["reason"]) == ("failed", "superseded")
    assert [e["payload"]["reason"] for e in world.records.events("FixityFailed")] == ["superseded"]
    assert world.records.events("FixityFailed")[0]["actor"]["user_id"] == "u-archivist"
    assert [f["reason"] for f in world.records.ok("GET", "/records/fixity/follow-ups")["items"]] == ["superseded"]
    assert world.records.call("POST", route, path=path, who=AUDITOR, headers={"Idempotency-Key": "check-3"})[0] == 403
