"""Audit's transfer step `export_history` (contract B1) against moto in process: each entity's chain and its
verification go into the package once, the exported chain verifies by itself, and only the sending
organisation's chains are read."""
from __future__ import annotations

import hashlib
import json
import uuid

import boto3
import pytest

from tests.support.events import FakeLambdaContext

PREFIX = "transfers/t-1/bag"


@pytest.fixture
def world(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    monkeypatch.delenv("CHECKPOINT_BUCKET", raising=False)
    bucket = f"packages-test-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("TRANSFER_BUCKET", bucket)
    from audit.data import exports
    exports.reset_client()
    from audit import logic
    for org, n in (("org-alpha", 3), ("org-beta", 2)):
        for i in range(n):
            logic.record({"id": f"{org}-{i}", "type": "FileUpdated", "source": "records.records",
                          "payload": {"file_id": "f-1", "n": i},
                          "subjects": [{"kind": "record_file", "id": "f-1" if org == "org-alpha" else "f-2",
                                        "org_id": org}]})
    return s3, bucket


def export(bucket: str, entities: list[dict], org_id: str = "org-alpha") -> dict:
    from audit.tasks import handler
    return handler({"step": "export_history", "org_id": org_id, "transfer_id": "t-1", "entities": entities,
                    "bucket": bucket, "prefix": PREFIX, "correlation_id": "c", "execution_id": "e"},
                   FakeLambdaContext())


def test_the_exported_chain_verifies_and_a_retry_answers_the_same(world):
    s3, bucket = world
    first = export(bucket, [{"type": "record_file", "id": "f-1"}])
    (entry,) = first["entries"]
    assert entry["path"] == "data/history/record_file-f-1.json" and first["refused"] == []
    data = s3.get_object(Bucket=bucket, Key=f"{PREFIX}/{entry['path']}")["Body"].read()
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"])
    doc = json.loads(data)
    assert doc["verification"]["valid"] is True and doc["entity"]["events"] == 3
    from audit.domain.chain import verify  # anyone holding the package can recompute it
    assert verify(doc["chain"]) == {"valid": True, "checked": 3, "head_hash": doc["entity"]["head_hash"]}
    doc["chain"][1]["event"]["payload"]["n"] = 99
    assert verify(doc["chain"])["broken_at"] == 2
    from audit import logic  # the chain grows; the package keeps what the first export wrote
    logic.record({"id": "late", "type": "FileUpdated", "payload": {},
                  "subjects": [{"kind": "record_file", "id": "f-1", "org_id": "org-alpha"}]})
    assert export(bucket, [{"type": "record_file", "id": "f-1"}]) == first
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 1


def test_another_organisations_entity_and_an_unknown_one_are_refused_by_name(world):
    s3, bucket = world
    result = export(bucket, [{"type": "record_file", "id": "f-2"}, {"type": "box", "id": "f-1"}])
    assert result == {"entries": [], "refused": [{"type": "record_file", "id": "f-2", "reason": "unknown-entity"},
                                                 {"type": "box", "id": "f-1", "reason": "unknown-entity"}]}
    assert not s3.list_objects_v2(Bucket=bucket).get("Contents")
    with pytest.raises(Exception) as raised:
        export("somebody-elses-bucket", [{"type": "record_file", "id": "f-1"}])
    assert type(raised.value).__name__ == "InvalidTaskInput"
