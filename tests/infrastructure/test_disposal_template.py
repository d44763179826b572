"""Disposal's destruction in template.yaml: the certificates bucket is write-once for one function, the saga may
invoke exactly the four functions it names, and runs left half-way are reconciled on a schedule."""
from __future__ import annotations

import json
import pathlib
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from tests.infrastructure.test_audit_anchor_template import FORBIDDEN_S3, _granted, _statements

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE: dict[str, Any] = yaml_parse((ROOT / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}


def _on_certificates(function: dict[str, Any]) -> set[str]:
    return {a for s in _statements(function) if s.get("Effect") == "Allow"
            and "DisposalCertificatesBucket" in json.dumps(s.get("Resource"))
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_the_certificates_bucket_is_compliance_locked_versioned_private_and_kept():
    bucket = RESOURCES["DisposalCertificatesBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    assert props["ObjectLockEnabled"] is True and props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE", "Days": {"Ref": "DisposalCertificateRetentionDays"}}
    assert all(props["PublicAccessBlockConfiguration"].values())


def test_nobody_deletes_or_unlocks_a_certificate_and_only_the_disposal_tasks_write_one():
    statements = RESOURCES["DisposalCertificatesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    denied = {a for s in statements if s["Effect"] == "Deny" and s["Principal"] == "*" and "Condition" not in s
              for a in s["Action"]}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectRetention",
            "s3:PutBucketObjectLockConfiguration"} <= denied
    writers = next(s for s in statements if s.get("Sid") == "OnlyTheDisposalTasksWrite")
    assert writers["Action"] == ["s3:PutObject"]
    assert writers["Condition"] == {"StringNotEquals": {"aws:PrincipalTag/disposal-role": "certificates"}}
    tagged = [n for n, f in FUNCTIONS.items() if (f["Properties"].get("Tags") or {}).get("disposal-role")]
    assert tagged == ["DisposalTasksFunction"]
    for name, function in FUNCTIONS.items():
        on_bucket = _on_certificates(function)
        assert not on_bucket & FORBIDDEN_S3, name
        if name != "DisposalTasksFunction":
            assert "s3:PutObject" not in on_bucket, name
    assert _on_certificates(FUNCTIONS["DisposalTasksFunction"]) >= {"s3:PutObject", "s3:GetObject"}
    assert _on_certificates(FUNCTIONS["DisposalFunction"]) == {"s3:GetObject"}


def test_the_saga_invokes_the_four_functions_it_names_and_the_api_only_starts_and_stops_it():
    machine = RESOURCES["DestructionStateMachine"]["Properties"]
    named = {v["Fn::GetAtt"][0] for v in machine["DefinitionSubstitutions"].values()}
    assert named == {"DisposalTasksFunction", "RecordsTasksFunction", "RecordsDestructionFunction",
                     "StacksTasksFunction"}
    definition = json.loads((ROOT / machine["DefinitionUri"]).read_text())
    assert definition["States"]["MarkPages"]["ItemsPath"] == "$.pages"  # a Map over page numbers
    states = {a for a in _granted(FUNCTIONS["DisposalFunction"]) if a.startswith("states:")}
    assert states == {"states:StartExecution", "states:StopExecution"}


def test_runs_left_half_way_are_reconciled_every_quarter_hour():
    event = FUNCTIONS["DisposalTasksFunction"]["Properties"]["Events"]["ReconcileDestructionRuns"]["Properties"]
    assert (event["ScheduleExpression"], event["Input"]) == ("rate(15 minutes)", '{"job": "reconcile_runs"}')
