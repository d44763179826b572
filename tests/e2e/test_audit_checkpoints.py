"""Audit checkpoints on the local system: signed, locked, and still verifiable after a crash.

GIVEN the local system with its demo data, WHEN the checkpoint job runs and the
system is killed with `kill -9` right after and started again, THEN the checkpoint is
still in the bucket (same version, still COMPLIANCE-locked), its signature still
verifies (the key material was kept), the next checkpoint links to it, and a chain
deleted from the table answers 410 `history-deleted`, named by the verification job.
"""
from __future__ import annotations

import boto3
import pytest

from tests.e2e.conftest import start_local_system, wait_for

pytestmark = pytest.mark.e2e

BUCKET = "records-local-auditcheckpointbucket"
TABLE = "records-local-AuditTable"
ENTITY = "u-archivist-src"


def _aws(system, service: str):
    return boto3.client(service, endpoint_url=system.moto_url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _verified(system, token: str):
    response = system.request("GET", f"/audit/entities/{ENTITY}/events?verify=true", token=token)
    return response.json() if response.status == 200 else None


def test_a_checkpoint_survives_kill_9_and_still_verifies_after_the_restart(tmp_path):
    first = start_local_system(tmp_path)
    try:
        auditor = first.token("auditor@src")
        wait_for(lambda: (h := _verified(first, auditor)) and h["entity"]["events"] >= 2 and h,
                 what="the demo archivist's history")
        taken = first.request("POST", "/_local/schedules/checkpoint/run").json()
        assert taken["ok"] is True and taken["result"]["written"] is True, taken
        checkpoint = taken["result"]
        version = _aws(first, "s3").head_object(Bucket=BUCKET, Key=checkpoint["object"])["VersionId"]
    finally:
        first.kill_hard()  # nothing is saved on the way out: the journal must have it

    second = start_local_system(tmp_path, fresh=False)
    try:
        s3 = _aws(second, "s3")
        kept = s3.head_object(Bucket=BUCKET, Key=checkpoint["object"])
        assert kept["VersionId"] == version and kept["ObjectLockMode"] == "COMPLIANCE"
        with pytest.raises(Exception):  # the bucket policy and the lock refuse it
            s3.delete_object(Bucket=BUCKET, Key=checkpoint["object"], VersionId=version)

        auditor = second.token("auditor@src")
        verdict = _verified(second, auditor)["verification"]
        assert verdict["valid"] is True  # its signature verified with the key kept across the restart
        assert verdict["checkpoint"]["sequence"] == checkpoint["sequence"]
        assert verdict["checkpoint"]["root"] == checkpoint["root"]

        ddb = _aws(second, "dynamodb")
        pk = {"S": f"ENTITY#org-src#{ENTITY}"}
        for item in ddb.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": pk})["Items"]:
            # the head and every entry; the receipts stay, so the outbox replayed at start cannot grow it again
            if not item["sk"]["S"].startswith("EVENT#"):
                ddb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
        gone = second.request("GET", f"/audit/entities/{ENTITY}/events?verify=true", token=auditor)
        assert gone.status == 410 and gone.json()["type"].endswith("/history-deleted")

        report = second.request("POST", "/_local/schedules/verify_chains/run").json()
        assert report["ok"] is True
        assert {"org_id": "org-src", "entity_id": ENTITY, "kind": "deleted", "broken_at": 1} in report["result"]["broken"]
        assert report["result"]["checkpoint"]["sequence"] == checkpoint["sequence"]

        following = second.request("POST", "/_local/schedules/checkpoint/run").json()["result"]
        assert following["sequence"] == checkpoint["sequence"] + 1  # linked to the kept one, which verified
        assert {"org_id": "org-src", "entity_id": ENTITY, "kind": "deleted", "broken_at": 1} in following["refused"]
    finally:
        second.stop()
