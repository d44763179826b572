"""The event routes stacks and inventory rely on, as template.yaml declares them.

Stacks keeps a read model of records' files (StacksRecordFilesRule → StacksQueue →
StacksEventsFunction); inventory knows repositories from stacks' RepositoryCreated (InventoryRule).
"""
from __future__ import annotations

from tests.support.template import resource


def _target(value) -> str | None:
    if isinstance(value, dict):
        inner = value.get("Fn::GetAtt") or value.get("GetAtt") or value.get("Ref")  # the loader keeps short tags short
        return inner[0] if isinstance(inner, list) else (inner.split(".")[0] if isinstance(inner, str) else None)
    return None


def test_records_file_events_reach_stacks_consumer_through_its_own_queue():
    rule = resource("StacksRecordFilesRule")["Properties"]
    assert rule["EventPattern"] == {"source": ["records.records"],
                                    "detail-type": ["FileCreated", "FileStatusChanged"]}
    assert [_target(t["Arn"]) for t in rule["Targets"]] == ["StacksQueue"]
    function = resource("StacksEventsFunction")["Properties"]
    assert function["Handler"] == "stacks.consumer.handler" and function["CodeUri"] == "functions/stacks/"
    source = function["Events"]["FileEvents"]
    assert source["Type"] == "SQS" and _target(source["Properties"]["Queue"]) == "StacksQueue"
    queue = resource("StacksQueue")["Properties"]
    assert _target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "StacksDeadLetterQueue"
    statement = resource("StacksQueuePolicy")["Properties"]["PolicyDocument"]["Statement"][0]
    assert _target(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == "StacksRecordFilesRule"
    # its own table only
    assert function["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "StacksTable"}
    assert function["Policies"] == [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "StacksTable"}}}]
