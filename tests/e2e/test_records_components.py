"""Digital components on the local system: a presigned PUT straight to the local S3 (moto server), the
capability's check, a presigned GET back, and the fixity job run on demand.

GIVEN a class published on the bus as classification publishes it, a file and an item, WHEN an archivist
asks for an upload, PUTs the bytes to the presigned URL with the headers the answer names and completes
it, THEN the component is captured with the declared SHA-256 and its presigned GET serves the same bytes;
a PUT of other bytes is accepted by the local S3 (moto does not verify x-amz-checksum-sha256; S3 answers
400 BadDigest: infrastructure/local/README.md) but the complete step refuses it with 422 and no object
stays; the browser's CORS preflight for the PUT is answered; `fixity` re-reads what was captured.
"""
from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid

import boto3
import pytest

from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e

BUS = "records-local-domain-events"
BUCKET = "records-local-recordsbucket"
CLASS = "E2E-COMP"


def _aws(system, service: str):
    return boto3.client(service, endpoint_url=system.moto_url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _publish_class(system) -> None:
    """What classification publishes for a one-task scheme version of org-src (the contracts' shapes)."""
    def envelope(type_: str, payload: dict, subject: dict) -> dict:
        return {"id": str(uuid.uuid4()), "type": type_, "source": "records.classification", "schema_version": 1,
                "subjects": [subject], "payload": payload, "actor": {"user_id": "u-admin-src", "org_id": "org-src"},
                "correlation_id": None, "occurred_at": "2026-01-01T00:00:00.000Z"}
    version = 900 + uuid.uuid4().int % 99  # a version of its own: other tests may publish theirs
    task = envelope("UnitTaskPublished", {
        "scheme_version": version, "code": CLASS, "title": "Digitised minutes", "valid_from": None, "valid_to": None,
        "path": [{"level": "function", "code": "E2E", "title": "Tests"}],
        "rule": {"retention": "permanent", "trigger": "year_after_closing", "action": "transfer",
                 "access": {"classification": "open", "grounds": []}, "notes": None}},
        {"kind": "unit_task", "id": CLASS, "org_id": "org-src"})
    done = envelope("SchemeVersionPublished", {"scheme_version": version, "unit_task_count": 1,
                                               "published_at": "2026-01-01T00:00:00.000Z"},
                    {"kind": "classification_scheme", "id": "org-src", "org_id": "org-src"})
    for env in (task, done):
        answer = _aws(system, "events").put_events(Entries=[{
            "EventBusName": BUS, "Source": env["source"], "DetailType": env["type"], "Detail": json.dumps(env)}])
        assert answer["FailedEntryCount"] == 0


def _put(url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_component_travels_through_presigned_urls_and_is_verified(local_system):
    system = local_system
    archivist = system.token("archivist@src")
    _publish_class(system)
    wait_for(lambda: any(c["code"] == CLASS for c in system.request(
        "GET", "/records/classes?limit=100", token=archivist).json().get("items", [])) or None,
        timeout=60, what="the published class to reach records")

    def post(path: str, body: dict) -> dict:
        answer = system.request("POST", path, token=archivist, json_body=body,
                                headers={"Idempotency-Key": uuid.uuid4().hex})
        assert answer.status in (200, 201), (path, answer.status, answer.body[:500])
        return answer.json()

    file = post("/records/files", {"class_code": CLASS, "title": "Committee minutes, scanned",
                                   "producing_unit": "Records Office", "record_type": "general_document",
                                   "electronic": True})
    item = post(f"/records/files/{file['id']}/items", {"registration_number": f"E2E-{uuid.uuid4().hex[:8]}",
                                                       "title": "Minutes of 3 March"})
    base = f"/records/files/{file['id']}/items/{item['id']}/components"
    data = b"%PDF-1.7 scanned minutes\n" * 4096
    sha = hashlib.sha256(data).hexdigest()

    upload = post(f"{base}/uploads", {"filename": "minutes.pdf", "media_type": "application/pdf",
                                      "size": len(data), "sha256": sha})
    url, headers = upload["upload"]["url"], upload["upload"]["headers"]
    assert url.startswith(system.moto_url)  # straight to the (local) bucket, not through the API
    # the browser's preflight for that PUT (RecordsBucket's CORS rules, provisioned locally too)
    preflight = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": "https://staff.example", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-checksum-sha256,x-amz-sdk-checksum-algorithm,if-none-match"})
    with urllib.request.urlopen(preflight, timeout=30) as answer:
        assert answer.status == 200 and "PUT" in answer.headers.get("Access-Control-Allow-Methods", "")
    assert _put(url, data, headers) == 200
    assert _put(url, data, headers) == 412  # If-None-Match: * is signed: the key is written once
    component = post(f"{base}/uploads/{upload['id']}/complete", {})
    assert (component["sha256"], component["size"]) == (sha, len(data))

    link = system.request("GET", f"{base}/{component['id']}/download", token=archivist).json()
    with urllib.request.urlopen(link["url"], timeout=30) as answer:
        assert hashlib.sha256(answer.read()).hexdigest() == sha

    # other bytes under the declared checksum: the local S3 takes them, the capability does not
    other = post(f"{base}/uploads", {"filename": "minutes.pdf", "media_type": "application/pdf",
                                     "size": len(data), "sha256": sha})
    assert _put(other["upload"]["url"], data[::-1], other["upload"]["headers"]) == 200
    refused = system.request("POST", f"{base}/uploads/{other['id']}/complete", token=archivist, json_body={},
                             headers={"Idempotency-Key": uuid.uuid4().hex})
    assert refused.status == 422 and refused.json()["type"].endswith("/content-mismatch"), refused.body
    left = _aws(system, "s3").list_object_versions(Bucket=BUCKET, Prefix=f"components/org-src/{file['id']}/")
    keys = {v["Key"].rsplit("/", 1)[1] for v in left.get("Versions", []) + left.get("DeleteMarkers", [])}
    assert keys == {component["id"]}

    run = system.request("POST", "/_local/schedules/fixity/run", json_body={}).json()
    assert run["ok"] is True and run["result"]["failed"] == 0, run
