"""The audit trail's anchor in template.yaml: a signing key and a locked bucket out of the table writers' reach.

Only AuditTasksFunction signs and writes checkpoints; it cannot write the audit table.
Nothing in the template may delete an object, bypass or change Object Lock, or sign
with the key besides that function; the key can never be disabled or deleted through
its policy; the bucket is COMPLIANCE-locked, versioned, private and encrypted.
"""
from __future__ import annotations

import pathlib
from typing import Any, Iterator

from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE: dict[str, Any] = yaml_parse((ROOT / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
FORBIDDEN_S3 = {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectRetention",
                "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning",
                "s3:PutLifecycleConfiguration", "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement.get("Action", [])
    return {actions} if isinstance(actions, str) else set(actions)


def _statements(function: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]


def _granted(function: dict[str, Any]) -> set[str]:
    return {a for s in _statements(function) if s.get("Effect") == "Allow" for a in _actions(s)}


def _granted_on(function: dict[str, Any], bucket: str) -> set[str]:
    """Actions granted on a resource naming the bucket (other functions write their own buckets)."""
    return {a for s in _statements(function) if s.get("Effect") == "Allow" and bucket in str(s.get("Resource"))
            for a in _actions(s)}


def test_the_signing_key_is_asymmetric_kept_and_never_disabled_or_deleted_by_its_policy():
    key = RESOURCES["AuditSigningKey"]
    props = key["Properties"]
    assert (props["KeySpec"], props["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    allowed = {a for s in props["KeyPolicy"]["Statement"] if s["Effect"] == "Allow" for a in _actions(s)}
    assert not any(a.endswith("*") for a in allowed)
    assert not allowed & {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:Decrypt", "kms:Encrypt",
                          "kms:CreateGrant"}


def test_the_bucket_is_compliance_locked_versioned_private_and_encrypted():
    bucket = RESOURCES["AuditCheckpointBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["ObjectLockEnabled"] is True
    lock = props["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert lock["Rule"]["DefaultRetention"]["Days"] == {"Ref": "AuditCheckpointRetentionDays"}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"][k] is True for k in
               ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_the_bucket_policy_denies_every_deletion_and_unlocking_to_everyone():
    policy = RESOURCES["AuditCheckpointBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "AuditCheckpointBucket"}
    denied = {a for s in policy["PolicyDocument"]["Statement"]
              if s["Effect"] == "Deny" and s["Principal"] == "*" and "Condition" not in s for a in _actions(s)}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
            "s3:PutObjectRetention", "s3:PutBucketObjectLockConfiguration"} <= denied


def test_no_function_may_delete_or_unlock_objects_and_only_the_jobs_sign_and_write():
    for name, function in FUNCTIONS.items():
        granted = _granted(function)
        assert not granted & FORBIDDEN_S3, name
        assert not any(a in ("*", "s3:*", "kms:*") or a.startswith("s3:Delete") for a in granted), name
        if name != "AuditTasksFunction":
            assert "kms:Sign" not in granted and "s3:PutObject" not in _granted_on(function, "AuditCheckpointBucket"), name
    assert {"kms:Sign", "s3:PutObject"} <= _granted(FUNCTIONS["AuditTasksFunction"])
    assert "kms:Verify" in _granted(FUNCTIONS["AuditFunction"])


def test_the_signer_reads_the_audit_table_but_cannot_write_it():
    policies = FUNCTIONS["AuditTasksFunction"]["Properties"]["Policies"]
    table_policies = [p for p in policies if isinstance(p, dict) and "Statement" not in p]
    assert table_policies == [{"DynamoDBReadPolicy": {"TableName": {"Ref": "AuditTable"}}}]


def test_the_checkpoint_period_is_a_parameter_and_the_verification_runs_daily():
    events = FUNCTIONS["AuditTasksFunction"]["Properties"]["Events"]
    assert events["Checkpoint"]["Properties"]["ScheduleExpression"] == {
        "Fn::Sub": "rate(${AuditCheckpointMinutes} minutes)"}
    assert TEMPLATE["Parameters"]["AuditCheckpointMinutes"]["MinValue"] >= 2  # "rate(1 minutes)" is not valid
    assert events["Checkpoint"]["Properties"]["Input"] == '{"job": "checkpoint"}'
    assert events["VerifyChains"]["Properties"] == events["VerifyChains"]["Properties"] | {
        "ScheduleExpression": "rate(1 day)", "Input": '{"job": "verify_chains"}'}


def test_the_readers_and_the_jobs_are_told_where_the_anchor_is():
    for name in ("AuditFunction", "AuditTasksFunction"):
        variables = FUNCTIONS[name]["Properties"]["Environment"]["Variables"]
        assert variables["CHECKPOINT_BUCKET"] == {"Ref": "AuditCheckpointBucket"}
        assert variables["SIGNING_KEY_ID"] == {"Fn::GetAtt": ["AuditSigningKey", "Arn"]}


def test_heads_have_a_sparse_index():
    table = RESOURCES["AuditTable"]["Properties"]
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "heads"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["head_shard", "pk"]
