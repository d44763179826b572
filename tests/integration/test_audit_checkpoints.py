"""Signed checkpoints make every kind of tampering with an audit chain visible.

GIVEN the audit table, the signing key and the locked bucket built from template.yaml
(moto in process: KMS sign/verify, S3 Object Lock in COMPLIANCE mode), histories grown
by the real consumer and a checkpoint taken by the real job, WHEN someone with write
access to the table edits, re-hashes, truncates or deletes a chain, THEN the route's
`verify=true` and the verification job's report both name the entity and the kind.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.support.events import FakeLambdaContext, call_api, claims
from tests.support.template import create_table, resource

ROUTE = "/audit/entities/{entity_id}/events"
AUDITOR = claims("u-aud", "o1", ["auditor"])


class World:
    def __init__(self, ddb, s3, kms, bucket: str, table: str) -> None:
        self.ddb, self.s3, self.kms, self.bucket, self.table = ddb, s3, kms, bucket, table

    def record(self, entity: str, n: int, org: str = "o1", start: int = 0) -> None:
        from audit import logic
        for i in range(start, start + n):
            logic.record({"id": f"{org}-{entity}-{i}", "type": "BoxMoved", "payload": {"n": i},
                          "subjects": [{"kind": "box", "id": entity, "org_id": org}]})

    def job(self, name: str) -> dict[str, Any]:
        from audit.tasks import handler
        return handler({"job": name}, FakeLambdaContext())

    def read(self, entity: str, who=AUDITOR) -> tuple[int, Any]:
        from audit.app import handler
        status, body, _ = call_api(handler, "GET", ROUTE, path={"entity_id": entity}, who=who,
                                   query={"verify": "true"})
        return status, body

    # --- what an attacker with write access to the table does
    def entries(self, entity: str, org: str = "o1") -> list[dict[str, Any]]:
        items = self.ddb.query(TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                               ExpressionAttributeValues={":pk": {"S": f"ENTITY#{org}#{entity}"},
                                                          ":s": {"S": "SEQ#"}})["Items"]
        return items

    def put_entry(self, item: dict[str, Any]) -> None:
        self.ddb.put_item(TableName=self.table, Item=item)

    def set_head(self, entity: str, seq: int, digest: str, org: str = "o1") -> None:
        self.ddb.update_item(TableName=self.table, Key={"pk": {"S": f"ENTITY#{org}#{entity}"}, "sk": {"S": "HEAD"}},
                             UpdateExpression="SET seq = :s, #h = :h", ExpressionAttributeNames={"#h": "hash"},
                             ExpressionAttributeValues={":s": {"N": str(seq)}, ":h": {"S": digest}})

    def rehash_after_edit(self, entity: str, seq: int) -> None:
        """Edit entry `seq`, recompute it and every later hash, and move the head to match."""
        from audit.domain.chain import GENESIS, link
        prev = GENESIS
        for item in self.entries(entity):
            event = json.loads(item["event"]["S"])
            if int(item["seq"]["N"]) == seq:
                event["payload"]["n"] = 999
            digest = link(prev, int(item["seq"]["N"]), event)
            self.put_entry(item | {"event": {"S": json.dumps(event)}, "prev_hash": {"S": prev}, "hash": {"S": digest}})
            prev = digest
        self.set_head(entity, len(self.entries(entity)), prev)

    def truncate(self, entity: str) -> None:
        items = self.entries(entity)
        last = items[-1]
        self.ddb.delete_item(TableName=self.table, Key={"pk": last["pk"], "sk": last["sk"]})
        self.set_head(entity, int(items[-2]["seq"]["N"]), items[-2]["hash"]["S"])

    def delete_chain(self, entity: str, org: str = "o1") -> None:
        pk = {"S": f"ENTITY#{org}#{entity}"}
        for item in self.ddb.query(TableName=self.table, KeyConditionExpression="pk = :pk",
                                   ExpressionAttributeValues={":pk": pk})["Items"]:
            self.ddb.delete_item(TableName=self.table, Key={"pk": item["pk"], "sk": item["sk"]})


@pytest.fixture
def world(monkeypatch):
    """Self-contained: the audit table, key and bucket as the template declares them. The table's name is its
    own: when a shared moto world is already running in this worker, `mock_aws()` nests inside it (same state)."""
    table = bucket = f"audit-checkpoints-{uuid.uuid4().hex[:8]}"
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "TABLE_NAME": table}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        ddb, s3, kms = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("kms")
        create_table(ddb, "AuditTable", table)
        key_props = resource("AuditSigningKey")["Properties"]
        key = kms.create_key(KeySpec=key_props["KeySpec"], KeyUsage=key_props["KeyUsage"])["KeyMetadata"]
        bucket_props = resource("AuditCheckpointBucket")["Properties"]
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=bucket_props["ObjectLockEnabled"])
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=bucket_props["VersioningConfiguration"])
        lock = bucket_props["ObjectLockConfiguration"]
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": lock["ObjectLockEnabled"], "Rule": {"DefaultRetention": {
                "Mode": lock["Rule"]["DefaultRetention"]["Mode"], "Days": 1}}})
        monkeypatch.setenv("CHECKPOINT_BUCKET", bucket)
        monkeypatch.setenv("SIGNING_KEY_ID", key["Arn"])
        _forget_clients()
        yield World(ddb, s3, kms, bucket, table)
    _forget_clients()


def _forget_clients() -> None:
    from audit.data import anchors, chains
    from audit.data.tables import TABLE
    TABLE.reset()
    chains._ddb.cache_clear()
    anchors.forget()


def kinds(report: dict[str, Any]) -> dict[str, str]:
    return {f["entity_id"]: f["kind"] for f in report["broken"]}


# --------------------------------------------------------------------- checkpoints
def test_a_checkpoint_signs_every_chains_head_into_the_locked_bucket(world):
    world.record("b1", 3)
    world.record("b2", 2, org="o2")
    taken = world.job("checkpoint")
    assert taken["written"] is True and taken["sequence"] == 1 and taken["chains"] == 2
    listed = world.s3.list_objects_v2(Bucket=world.bucket, Prefix="checkpoints/")["Contents"]
    head = world.s3.head_object(Bucket=world.bucket, Key=listed[0]["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    doc = json.loads(world.s3.get_object(Bucket=world.bucket, Key=listed[0]["Key"])["Body"].read())
    assert doc["chains"]["ENTITY#o1#b1"][0] == 3 and doc["chains"]["ENTITY#o2#b2"][0] == 2
    from audit.domain.checkpoint import signed_bytes
    import base64
    assert world.kms.verify(KeyId=doc["key_id"], Message=signed_bytes(doc["statement"]), MessageType="RAW",
                            SigningAlgorithm="ECDSA_SHA_256", Signature=base64.b64decode(doc["signature"]))["SignatureValid"]
    assert world.job("checkpoint") == {"written": False, "reason": "no chain changed", "sequence": 1, "chains": 2}
    world.record("b1", 1, start=3)
    second = world.job("checkpoint")
    assert second["sequence"] == 2
    doc2 = json.loads(world.s3.get_object(Bucket=world.bucket, Key=second["object"])["Body"].read())
    from audit.domain.checkpoint import digest
    assert doc2["statement"]["previous"] == digest(doc["statement"])  # linked like a log

    status, body = world.read("b1")
    assert status == 200 and body["verification"]["valid"] is True
    assert body["verification"]["checkpoint"]["sequence"] == 2 and body["verification"]["checkpoint"]["events"] == 4


def test_a_chain_newer_than_the_checkpoint_verifies_with_no_checkpointed_head(world):
    world.record("b1", 2)
    status, body = world.read("b1")
    assert status == 200 and body["verification"]["valid"] is True and "checkpoint" not in body["verification"]
    world.job("checkpoint")
    world.record("b3", 1)
    status, body = world.read("b3")
    assert body["verification"]["valid"] is True and body["verification"]["checkpoint"]["events"] == 0


# ---------------------------------------------------------------- the four kinds
def test_each_kind_of_tampering_is_named_by_the_route_and_by_the_report(world):
    for entity in ("edited", "rewritten", "truncated", "deleted", "intact"):
        world.record(entity, 4)
    world.job("checkpoint")

    item = world.entries("edited")[1]  # (1) naive edit of entry 2
    event = json.loads(item["event"]["S"]) | {"payload": {"n": 42}}
    world.put_entry(item | {"event": {"S": json.dumps(event)}})
    world.rehash_after_edit("rewritten", 2)  # (2) edit with every later hash and the head recomputed
    world.truncate("truncated")  # (3) last entry deleted, head moved back
    world.delete_chain("deleted")  # (4) the whole chain deleted

    expected = {"edited": (2, "edited"), "rewritten": (4, "rewritten"), "truncated": (4, "truncated")}
    for entity, (broken_at, kind) in expected.items():
        status, body = world.read(entity)
        assert status == 200, entity
        verdict = body["verification"]
        assert (verdict["valid"], verdict["kind"], verdict["broken_at"]) == (False, kind, broken_at), entity
        assert verdict["checkpoint"]["sequence"] == 1 and verdict["checkpoint"]["events"] == 4
    status, body = world.read("deleted")
    assert status == 410 and body["type"].endswith("/history-deleted")
    assert body["verification"]["kind"] == "deleted" and body["verification"]["checkpoint"]["events"] == 4
    status, body = world.read("never-had-one")
    assert status == 404  # an entity that never had a history is still a plain 404
    status, body = world.read("intact")
    assert body["verification"]["valid"] is True

    report = world.job("verify_chains")
    assert kinds(report) == {"edited": "edited", "rewritten": "rewritten", "truncated": "truncated",
                             "deleted": "deleted"}
    assert {f["org_id"] for f in report["broken"]} == {"o1"}
    stored = json.loads(world.s3.get_object(Bucket=world.bucket, Key=report["object"])["Body"].read())
    assert kinds(stored) == kinds(report)


def test_tampering_is_never_laundered_into_the_next_checkpoint(world):
    world.record("b1", 3)
    world.record("b2", 3)
    world.job("checkpoint")
    world.rehash_after_edit("b1", 1)
    world.truncate("b2")
    taken = world.job("checkpoint")
    assert {(f["entity_id"], f["kind"]) for f in taken["refused"]} == {("b1", "rewritten"), ("b2", "truncated")}
    world.record("b1", 2, start=3)  # new events after the tampering
    world.job("checkpoint")
    assert world.read("b1")[1]["verification"]["kind"] == "rewritten"  # still against the honest head
    assert world.read("b2")[1]["verification"]["kind"] == "truncated"
    assert kinds(world.job("verify_chains")) == {"b1": "rewritten", "b2": "truncated"}


def test_another_organisation_cannot_see_that_a_chain_existed(world):
    world.record("b1", 2)
    world.job("checkpoint")
    world.delete_chain("b1")
    status, _ = world.read("b1", who=claims("u", "o2", ["auditor"]))
    assert status == 404


# ------------------------------------------------------------------- the anchor
def test_a_checkpoint_version_cannot_be_deleted_or_unlocked(world):
    world.record("b1", 2)
    key = world.job("checkpoint")["object"]
    version = world.s3.head_object(Bucket=world.bucket, Key=key)["VersionId"]
    for attempt in ({}, {"BypassGovernanceRetention": True}):
        with pytest.raises(ClientError) as refused:
            world.s3.delete_object(Bucket=world.bucket, Key=key, VersionId=version, **attempt)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert world.s3.head_object(Bucket=world.bucket, Key=key, VersionId=version)["ObjectLockMode"] == "COMPLIANCE"


def test_a_forged_or_replayed_checkpoint_is_rejected_and_reported(world):
    world.record("b1", 3)
    first = world.job("checkpoint")
    world.rehash_after_edit("b1", 1)
    from audit.domain import checkpoint as rules
    heads = {"ENTITY#o1#b1": rules.Head(3, world.entries("b1")[-1]["hash"]["S"])}
    stmt = rules.statement(2, "2026-12-02T00:00:00Z", "0" * 64, heads)
    forged_key = rules.object_key("checkpoints/", 2)
    # signed with another key: the attacker has no kms:Sign on the audit key
    other = world.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    import base64
    signature = world.kms.sign(KeyId=other, Message=rules.signed_bytes(stmt), MessageType="RAW",
                               SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    world.s3.put_object(Bucket=world.bucket, Key=forged_key, Body=json.dumps(
        rules.document(stmt, heads, base64.b64encode(signature).decode(), other, [])).encode())
    # and an old honest checkpoint copied under a newer key (a rollback)
    honest = world.s3.get_object(Bucket=world.bucket, Key=first["object"])["Body"].read()
    world.s3.put_object(Bucket=world.bucket, Key=rules.object_key("checkpoints/", 3), Body=honest)

    status, body = world.read("b1")
    assert body["verification"]["kind"] == "rewritten" and body["verification"]["checkpoint"]["sequence"] == 1
    report = world.job("verify_chains")
    assert kinds(report) == {"b1": "rewritten"}
    reasons = {r["key"]: r["reason"] for r in report["rejected_checkpoints"]}
    assert "signature" in reasons[forged_key] and "sequence" in reasons[rules.object_key("checkpoints/", 3)]
    taken = world.job("checkpoint")  # the job steps over the forged keys instead of stopping
    assert taken["written"] is True and taken["sequence"] == 4
    assert {(f["entity_id"], f["kind"]) for f in taken["refused"]} == {("b1", "rewritten")}


def test_a_version_put_over_the_newest_checkpoint_does_not_hide_it(world):
    world.record("b1", 3)
    first = world.job("checkpoint")
    world.rehash_after_edit("b1", 1)
    from audit.domain import checkpoint as rules
    heads = {"ENTITY#o1#b1": rules.Head(3, world.entries("b1")[-1]["hash"]["S"])}
    stmt = rules.statement(1, "2026-12-02T00:00:00Z", "0" * 64, heads)  # what would launder the rewrite
    world.s3.put_object(Bucket=world.bucket, Key=first["object"], Body=json.dumps(
        rules.document(stmt, heads, "bm90IGEgc2lnbmF0dXJl", "forged", [])).encode())
    status, body = world.read("b1")
    assert body["verification"]["kind"] == "rewritten"
    assert body["verification"]["checkpoint"]["root"] == first["root"]
    report = world.job("verify_chains")
    assert kinds(report) == {"b1": "rewritten"} and report["rejected_checkpoints"][0]["key"] == first["object"]
