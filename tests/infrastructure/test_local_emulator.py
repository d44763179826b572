"""The local system's moto speed-ups (infrastructure/local/emulator.py) change no answer.

GIVEN a table declared as the template declares it, holding several partitions (items with and
without index keys), and an SQS queue with messages visible, in flight and delayed
WHEN the same queries (base table and index, key conditions, filters, both orders, pages) and the
same queue reads run before and after `emulator.install()`
THEN every answer is the same.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws
import pytest

from infrastructure.local import emulator
from tests.support.template import create_table

TABLE = "emulator-check"


def _items() -> list[dict[str, Any]]:
    items = []
    for p in range(6):
        for s in range(12):
            item = {"pk": {"S": f"P#{p}"}, "sk": {"S": f"S#{s:03d}"}, "n": {"N": str(s)}}
            if s % 3:  # two thirds carry the index keys, over three index partitions
                item |= {"gsi1pk": {"S": f"G#{(p + s) % 3}"}, "gsi1sk": {"S": f"{s:03d}#{p}"}}
            items.append(item)
    items.append({"pk": {"S": "P#9"}, "sk": {"S": "S#000"}, "gsi1pk": {"N": "0"}, "gsi1sk": {"S": "x"}})  # a number
    return items


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#2"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#404"}}},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
     "ExpressionAttributeValues": {":p": {"S": "P#3"}, ":s": {"S": "S#00"}}, "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":n": {"N": "5"}},
     "FilterExpression": "n > :n", "Limit": 4},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g", "ExpressionAttributeValues": {":g": {"S": "G#1"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g", "ExpressionAttributeValues": {":g": {"N": "0"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g AND gsi1sk BETWEEN :a AND :b",
     "ExpressionAttributeValues": {":g": {"S": "G#2"}, ":a": {"S": "002"}, ":b": {"S": "008#9"}},
     "ScanIndexForward": False, "Limit": 3},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g", "Select": "COUNT",
     "ExpressionAttributeValues": {":g": {"S": "G#0"}}},
]


def _answers(client) -> list[list[Any]]:
    answers = []
    for query in QUERIES:
        pages, key = [], None
        while True:
            page = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": key} if key else {}))
            pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
            key = page.get("LastEvaluatedKey")
            if not key:
                break
        answers.append(pages)
    return answers


def _queue_view(sqs, url: str) -> dict[str, Any]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {k: attributes[k] for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                       "ApproximateNumberOfMessagesDelayed")}


@mock_aws
def test_queries_and_queue_reads_answer_the_same_after_the_speed_ups(monkeypatch):
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_table(client, "InventoryTable", TABLE)
    for item in _items():
        client.put_item(TableName=TABLE, Item=item)
    sqs = boto3.client("sqs", region_name="us-east-1")

    def queue_reads(name: str) -> list[Any]:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        for i in range(12):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"i": i}), DelaySeconds=600 if i < 2 else 0)
        seen = [_queue_view(sqs, url)]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4, VisibilityTimeout=600)["Messages"]
        seen += [sorted(json.loads(m["Body"])["i"] for m in received), _queue_view(sqs, url)]
        rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        return seen + [sorted(json.loads(m["Body"])["i"] for m in rest), _queue_view(sqs, url)]

    before, queue_before = _answers(client), queue_reads("before")
    emulator.install(monkeypatch.setattr)
    after, queue_after = _answers(client), queue_reads("after")

    assert after == before
    assert queue_after == queue_before
    assert queue_after[1] == [2, 3, 4, 5] and queue_after[-1]["ApproximateNumberOfMessagesDelayed"] == "2"


@pytest.mark.parametrize("path", ["$.detail", "$.source"])
def test_compiled_event_input_paths_are_kept(monkeypatch, path):
    import jsonpath_ng.ext

    emulator.install(monkeypatch.setattr)
    assert jsonpath_ng.ext.parse(path) is jsonpath_ng.ext.parse(path)
    assert [m.value for m in jsonpath_ng.ext.parse(path).find({"detail": 1, "source": 1})] == [1]
