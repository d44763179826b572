"""Transfer's reconcile job in template.yaml: scheduled every quarter hour on the tasks function, which may start,
find and stop executions of the two transfer state machines and nothing else, and reads the sagas' sparse index
the table declares (the pynamodb model names the same index)."""
from __future__ import annotations

from typing import Any

from samtranslator.yaml_helper import yaml_parse

from tests.infrastructure.test_audit_anchor_template import _statements
from tests.infrastructure.test_disposal_template import ROOT

RESOURCES: dict[str, Any] = yaml_parse((ROOT / "template.yaml").read_text())["Resources"]
TASKS = RESOURCES["TransferTasksFunction"]
MACHINES = ("transfer-package", "transfer-accept")


def _states_grants(function: dict[str, Any]) -> dict[str, set[str]]:
    """Each states: action granted → the resources (as written) it is granted on."""
    granted: dict[str, set[str]] = {}
    for s in _statements(function):
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        for action in (a for a in actions if a.startswith("states:") and s.get("Effect") == "Allow"):
            granted.setdefault(action, set()).update(r["Fn::Sub"] for r in s["Resource"])
    return granted


def test_stuck_transfers_are_reconciled_every_quarter_hour():
    event = TASKS["Properties"]["Events"]["ReconcileTransfers"]
    assert event["Type"] == "ScheduleV2"
    assert (event["Properties"]["ScheduleExpression"], event["Properties"]["Input"]) == (
        "rate(15 minutes)", '{"job": "reconcile_transfers"}')
    env = TASKS["Properties"]["Environment"]["Variables"]
    assert [env[v]["Fn::Sub"].rsplit(":stateMachine:", 1)[1] for v in ("TRANSFER_PACKAGE_STATE_MACHINE_ARN",
                                                                        "TRANSFER_ACCEPT_STATE_MACHINE_ARN")] == [
        "${AWS::StackName}-" + m for m in MACHINES]


def test_the_job_starts_finds_and_stops_executions_of_the_transfer_machines_only():
    granted = _states_grants(TASKS)
    assert set(granted) == {"states:StartExecution", "states:DescribeExecution", "states:StopExecution"}
    machines = {f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:"
                f"${{AWS::StackName}}-{m}" for m in MACHINES}
    executions = {m.replace(":stateMachine:", ":execution:") + ":*" for m in machines}
    assert granted["states:StartExecution"] == machines
    assert granted["states:DescribeExecution"] == granted["states:StopExecution"] == executions


def test_the_sagas_index_is_declared_in_the_template_and_the_model():
    from transfer.data.tables import TransferItem
    table = RESOURCES["TransferTable"]["Properties"]
    declared = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in table["GlobalSecondaryIndexes"]}
    index = TransferItem._indexes["gsi1"]
    keys = {a.attr_name: a for a in (type(index).gsi1pk, type(index).gsi1sk)}
    assert declared[index.Meta.index_name] == [name for name, a in keys.items() if a.is_hash_key] + [
        name for name, a in keys.items() if a.is_range_key]
