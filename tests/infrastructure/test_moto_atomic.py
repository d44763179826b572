"""The local emulation of DynamoDB's transaction guarantees (infrastructure/moto_atomic.py).

A cancelled TransactWriteItems must leave no trace: not in the table and not on its
stream, because the stream is what carries outbox events to the bus. Moto alone puts
the items back but keeps the stream records of the operations it had applied, so a
refused placement still published its event (seen end to end: audit showed BoxPlaced
for a box the shelf refused, and inventory expected it there).
"""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from infrastructure.moto_atomic import make_dynamodb_atomic

REGION = "us-east-1"


@pytest.fixture
def table(monkeypatch):
    with mock_aws():
        make_dynamodb_atomic(monkeypatch.setattr)
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName="stacks", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        ddb.put_item(TableName="stacks", Item={"pk": {"S": "SHELF#1"}, "sk": {"S": "SHELF"}, "free": {"N": "1"}})
        yield ddb


def stream_records():
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables["stacks"].stream_shard
    return [(r.record["eventName"], r.record["dynamodb"]["Keys"]["pk"]["S"]) for r in shard.items]


def place(ddb, box: str, width: int):
    """The shape of a placement: the outbox event first, then the capacity-checked shelf update."""
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "stacks", "Item": {"pk": {"S": f"OUTBOX#{box}"}, "sk": {"S": "EVENT"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "stacks", "Key": {"pk": {"S": "SHELF#1"}, "sk": {"S": "SHELF"}},
                    "UpdateExpression": "SET #f = #f - :w", "ConditionExpression": "#f >= :w",
                    "ExpressionAttributeNames": {"#f": "free"}, "ExpressionAttributeValues": {":w": {"N": str(width)}}}},
    ])


def test_a_committed_transaction_streams_each_of_its_writes(table):
    place(table, "box-1", 1)

    assert stream_records()[1:] == [("INSERT", "OUTBOX#box-1"), ("MODIFY", "SHELF#1")]


def test_a_cancelled_transaction_leaves_nothing_in_the_table_or_on_the_stream(table):
    before = stream_records()

    with pytest.raises(ClientError) as refused:
        place(table, "box-2", 5)  # the shelf has room for 1

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in table.get_item(TableName="stacks", Key={"pk": {"S": "OUTBOX#box-2"}, "sk": {"S": "EVENT"}})
    assert table.get_item(TableName="stacks", Key={"pk": {"S": "SHELF#1"}, "sk": {"S": "SHELF"}})["Item"]["free"] == {"N": "1"}
    assert stream_records() == before


def test_writes_after_a_cancelled_transaction_stream_normally(table):
    with pytest.raises(ClientError):
        place(table, "box-2", 5)

    place(table, "box-3", 1)

    assert [pk for _, pk in stream_records()] == ["SHELF#1", "OUTBOX#box-3", "SHELF#1"]
