"""The records bucket's destruction guard in template.yaml, as CloudFormation receives it (after SAM's
translation): only RecordsDestructionFunction's role carries the tag RecordsBucketPolicy asks of a principal
that bypasses governance retention, only that role is granted the bypass, and nothing but the destruction
state machine may invoke the function.

moto neither evaluates bucket policies nor IAM, so this is where "only the destruction step can delete a
locked version" is proved; tests/integration/test_records_destruction.py proves the lock itself (moto
enforces Object Lock on version deletes) and what the step does.
"""
from __future__ import annotations

from typing import Any, Iterator

from tests.infrastructure.test_template import FUNCTIONS, RESOURCES, STATE_MACHINES, _actions, _props, translated

FUNCTION = "RecordsDestructionFunction"
ROLE = f"{FUNCTION}Role"
TAG = ("records-role", "destruction")
BYPASS, DELETE_VERSION = "s3:BypassGovernanceRetention", "s3:DeleteObjectVersion"


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _role_ids(value: Any) -> list[str]:
    refs = value if isinstance(value, list) else [value]
    return [r["Ref"] for r in refs if isinstance(r, dict) and "Ref" in r]


def _grants() -> Iterator[tuple[str, dict[str, Any]]]:
    """(role, Allow statement) for every role's inline policies and every AWS::IAM::Policy attached to a role."""
    for lid, resource in translated()["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in _props(resource).get("Policies") or []:
                yield from ((lid, s) for s in _statements(policy["PolicyDocument"]) if s.get("Effect") == "Allow")
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            props = _props(resource)
            for role in _role_ids(props.get("Roles") or []):
                yield from ((role, s) for s in _statements(props["PolicyDocument"]) if s.get("Effect") == "Allow")


def _roles_granted(action: str) -> set[str]:
    return {role for role, s in _grants() if any(a in (action, "s3:*", "*") for a in _actions(s))}


def _tags(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(t["Key"], t["Value"]) for t in _props(resource).get("Tags") or []}


def test_only_the_destruction_functions_role_carries_the_tag_sam_copies_from_the_function():
    resources = translated()["Resources"]
    assert FUNCTIONS[FUNCTION]["Properties"]["Tags"] == {TAG[0]: TAG[1]}
    tagged = {lid for lid, r in resources.items() if any(key == TAG[0] for key, _ in _tags(r))}
    assert tagged == {FUNCTION, ROLE}  # the function and, copied by SAM, the role it runs as
    assert TAG in _tags(resources[ROLE])
    assert _props(resources[FUNCTION])["Role"] == {"Fn::GetAtt": [ROLE, "Arn"]}


def test_the_bucket_policy_denies_the_bypass_to_every_principal_without_that_tag():
    policy = _props(RESOURCES["RecordsBucketPolicy"])
    assert policy["Bucket"] == {"Ref": "RecordsBucket"}
    (guard,) = [s for s in _statements(policy["PolicyDocument"]) if BYPASS in _actions(s)]
    assert (guard["Effect"], guard["Principal"]) == ("Deny", "*")
    assert guard["Resource"] == {"Fn::Sub": "${RecordsBucket.Arn}/*"}
    # StringNotEquals on a missing key is true: a principal with no tag at all is denied too
    assert guard["Condition"] == {"StringNotEquals": {f"aws:PrincipalTag/{TAG[0]}": TAG[1]}}


def test_only_the_destruction_role_may_bypass_governance_retention():
    assert _roles_granted(BYPASS) == {ROLE}


def test_only_the_destruction_role_and_the_api_delete_versions_and_the_api_cannot_bypass():
    """The API deletes the versions of refused uploads and the transfer steps the receiver's copies of an undone
    receipt (neither ever locked yet); a locked version is beyond both."""
    assert _roles_granted(DELETE_VERSION) == {ROLE, "RecordsFunctionRole", "RecordsTransferFunctionRole"}
    assert ROLE not in _roles_granted("s3:DeleteObject") and ROLE not in _roles_granted("s3:PutObject")


def test_the_destruction_role_lists_and_deletes_components_and_nothing_else_in_s3():
    s3 = [s for role, s in _grants() if role == ROLE and any(a.startswith("s3:") for a in _actions(s))]
    granted = {(a, str(s["Resource"])) for s in s3 for a in _actions(s)}
    assert granted == {(BYPASS, "{'Fn::Sub': '${RecordsBucket.Arn}/components/*'}"),
                       (DELETE_VERSION, "{'Fn::Sub': '${RecordsBucket.Arn}/components/*'}"),
                       ("s3:ListBucketVersions", "{'Fn::GetAtt': ['RecordsBucket', 'Arn']}")}
    (listing,) = [s for s in s3 if "s3:ListBucketVersions" in _actions(s)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "components/*"}}


def test_nothing_but_the_destruction_state_machine_may_invoke_the_function():
    assert not _props(FUNCTIONS[FUNCTION]).get("Events"), "an event source would invoke it"
    others = {lid for lid, r in RESOURCES.items()
              if lid not in (FUNCTION, ROLE, "RecordsDestructionPolicy", "DestructionStateMachine")
              and FUNCTION in str(r)}
    assert others == set(), f"{sorted(others)} name the destruction function"
    assert not [lid for lid, r in translated()["Resources"].items()
                if r["Type"] == "AWS::Lambda::Permission" and FUNCTION in str(r)]
    for lid in STATE_MACHINES:
        assert lid == "DestructionStateMachine" or FUNCTION not in str(RESOURCES[lid]), lid


def test_the_committees_reset_decisions_reach_records_queue():
    rule = _props(RESOURCES["RecordsCommitteeDecisionsRule"])
    assert rule["EventPattern"] == {"source": ["records.disposal"], "detail-type": ["CommitteeDecided"],
                                    "detail": {"payload": {"decision": ["reset_retention"]}}}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["RecordsQueue", "Arn"]}]
    (allowed,) = _statements(_props(RESOURCES["RecordsQueuePolicy"])["PolicyDocument"])
    assert {"Fn::GetAtt": ["RecordsCommitteeDecisionsRule", "Arn"]} in allowed["Condition"]["ArnEquals"][
        "aws:SourceArn"]
