"""The local system's moto speed-ups (infrastructure/local/emulator.py) change no answer.

GIVEN a table declared as the template declares it, holding several partitions (items with and
without index keys), and an SQS queue with messages visible, in flight and delayed
WHEN the same queries (base table and index, key conditions, filters, both orders, pages) and the
same queue reads run before and after `emulator.install()`
THEN every answer is the same.
"""
from __future__ import annotations

import json
import sys
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


def _data_plane_answers(ddb, streams) -> list[Any]:
    """Every data-plane answer the fast JSON path writes, of items holding every attribute type."""
    key = {"pk": {"S": "T#1"}, "sk": {"S": "S#001"}}
    answers: list[Any] = [
        ddb.get_item(TableName=TABLE, Key=key),
        ddb.get_item(TableName=TABLE, Key={"pk": {"S": "T#404"}, "sk": {"S": "x"}}),
        ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "T#1"}},
                  Limit=2),
        ddb.scan(TableName=TABLE, Limit=3),
        ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": {"S": "T#1"}, "sk": {"S": "S#404"}}]}}),
        ddb.update_item(TableName=TABLE, Key=key, UpdateExpression="SET n = n + :one",
                        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW"),
        ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "T#1"}, "sk": {"S": "S#002"}}, ReturnValues="ALL_OLD"),
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
    ]
    try:
        ddb.transact_write_items(TransactItems=[{"Put": {
            "TableName": TABLE, "Item": key, "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    except ddb.exceptions.TransactionCanceledException as exc:  # errors keep moto's own serializer
        answers.append(exc.response["CancellationReasons"])
    arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    # ids, sequence numbers and times differ per write (their types must not); the images are what is written
    answers.append([(r["eventName"], type(r["eventID"]), type(r["dynamodb"]["SequenceNumber"]),
                     type(r["dynamodb"]["ApproximateCreationDateTime"]), r["dynamodb"]["Keys"],
                     r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage")) for r in records])
    return [{k: v for k, v in a.items() if k != "ResponseMetadata"} if isinstance(a, dict) else a for a in answers]


def test_data_plane_answers_written_as_plain_json_are_the_same(monkeypatch):
    """GIVEN a table with a stream, holding items of every attribute type (binary sets, maps, lists,
    numbers, booleans, nulls) WHEN the data-plane calls and a stream read run before and after
    `emulator.install()` THEN boto3 reads the same answers (blobs, timestamps and all)."""
    from moto.server import ThreadedMotoServer

    from bench.coldstart import free_port

    port = free_port()
    server = ThreadedMotoServer(port=port, verbose=False)
    server.start()
    try:
        def world(name: str):
            options = {"region_name": "us-east-1", "endpoint_url": f"http://127.0.0.1:{port}",
                       "aws_access_key_id": "local", "aws_secret_access_key": "local"}
            ddb, streams = boto3.client("dynamodb", **options), boto3.client("dynamodbstreams", **options)
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
            for s in range(4):
                ddb.put_item(TableName=name, Item={
                    "pk": {"S": "T#1"}, "sk": {"S": f"S#{s:03d}"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff" * s},
                    "bs": {"BS": [b"\x01", b"\x02\x03"]}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]},
                    "l": {"L": [{"S": "x"}, {"N": "2"}, {"NULL": True}]}, "m": {"M": {"q": {"BOOL": False}}}})
            return ddb, streams

        monkeypatch.setattr(sys.modules[__name__], "TABLE", "plain-before")
        before = _data_plane_answers(*world("plain-before"))
        emulator.install(monkeypatch.setattr)
        monkeypatch.setattr(sys.modules[__name__], "TABLE", "plain-after")
        after = _data_plane_answers(*world("plain-after"))
    finally:
        server.stop()

    def renamed(answers):
        return json.loads(json.dumps(answers, default=str).replace("plain-before", "T").replace("plain-after", "T"))

    assert renamed(after) == renamed(before)
    assert after[0]["Item"]["b"]["B"] == b"\x00\xff" and after[-1][0][5]["bs"]["BS"] == [b"\x01", b"\x02\x03"]


def test_an_existing_backend_is_found_without_moto_s_global_lock_and_a_reset_still_clears_it(monkeypatch):
    import threading

    from moto.core.base_backend import BackendDict, backend_lock
    from moto.sqs.models import sqs_backends

    monkeypatch.setattr(BackendDict, "_instances", [])  # this test's own list: the suite's backends stay as they are
    emulator._backend_lookup(monkeypatch.setattr)
    first = sqs_backends["000000000042"]  # created under the lock, and listed for reset
    assert sqs_backends in BackendDict._instances

    found: list[Any] = []
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with backend_lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(10)
    reader = threading.Thread(target=lambda: found.append(sqs_backends["000000000042"]))
    reader.start()
    reader.join(5)
    looked_up_while_held = not reader.is_alive() and found == [first]
    release.set()
    holder.join()
    reader.join()
    assert looked_up_while_held  # an existing backend did not wait for the lock

    BackendDict.reset()  # moto's reset still clears the lot; the next lookup creates and lists again
    assert "000000000042" not in sqs_backends
    assert sqs_backends["000000000042"] is not first and sqs_backends in BackendDict._instances
    dict.pop(sqs_backends, "000000000042", None)
    sqs_backends.__dict__.pop("_emulator_listed", None)


def test_moto_s_server_keeps_a_connection_open_and_a_body_left_unread_does_not_spill_into_the_next_request(
        monkeypatch):
    import http.client
    import socket

    from moto.server import ThreadedMotoServer

    emulator._keep_alive(monkeypatch.setattr)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sqs = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": "AWS4-HMAC-SHA256 Credential=local/20261203/us-east-1/sqs/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
        answers, sockets = [], set()
        for body, path in [(b"Action=CreateQueue&QueueName=kept&Version=2012-11-05", "/"),
                           (b"x" * 5000, "/moto-api/data.json"),  # a body this route never reads
                           (b"Action=ListQueues&Version=2012-11-05", "/")]:
            connection.request("POST" if path == "/" else "GET", path, body=body, headers=sqs)
            response = connection.getresponse()
            answers.append((response.status, response.read(), response.getheader("Connection")))
            sockets.add(id(connection.sock))
        assert [status for status, _, _ in answers] == [200, 200, 200]
        assert b"kept" in answers[2][1]  # the third request was read whole, after the unread 5,000 bytes
        assert all(header != "close" for _, _, header in answers) and len(sockets) == 1  # one connection for all
        connection.request("POST", "/", body=b"Action=ListQueues&Version=2012-11-05",
                           headers={**sqs, "Connection": "close"})
        assert connection.getresponse().getheader("Connection") == "close"  # as a client asks
        connection.close()
    finally:
        server.stop()


@mock_aws
def test_sending_to_a_standard_queue_does_not_count_its_backlog_and_a_fifo_queue_still_deduplicates(monkeypatch):
    from moto.sqs.models import Queue

    emulator.install(monkeypatch.setattr)
    counted: list[str] = []
    delayed = Queue.approximate_number_of_messages_delayed.fget
    monkeypatch.setattr(Queue, "approximate_number_of_messages_delayed",
                        property(lambda self: counted.append(self.name) or delayed(self)))
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
    for i in range(50):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    assert counted == []  # fifty sends, no walk of the queue
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "50" and counted == ["backlog"]  # asked for: counted

    fifo = sqs.create_queue(QueueName="once.fifo", Attributes={"FifoQueue": "true",
                                                                "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    fifo_attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["ApproximateNumberOfMessages"])
    assert fifo_attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"  # deduplicated by content


@mock_aws
def test_deleting_messages_keeps_every_other_one_and_answers_as_before(monkeypatch):
    emulator.install(monkeypatch.setattr)
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="deletes")["QueueUrl"]
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    handles = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)]
    answer = sqs.delete_message_batch(QueueUrl=url, Entries=handles + [{"Id": "bad", "ReceiptHandle": "nope"}])
    assert len(answer["Successful"]) == 10 and [f["Id"] for f in answer["Failed"]] == ["bad"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])  # again: fine, as in SQS
    left = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages", [])
        if not batch:
            break
        left += [int(m["Body"]) for m in batch]
    assert sorted(left) == sorted(set(range(30)) - {int(m["Body"]) for m in received})


@mock_aws
def test_a_receive_stops_walking_the_queue_once_it_has_its_messages(monkeypatch):
    from moto.sqs.models import sqs_backends

    emulator.install(monkeypatch.setattr)
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
    for i in range(500):
        sqs.send_message(QueueUrl=url, MessageBody=str(i), DelaySeconds=600 if i in (3, 4) else 0)
    queue = sqs_backends["123456789012"]["us-east-1"].queues["backlog"]
    walked: list[int] = []

    class Counted(list):
        def __iter__(self):
            for message in super().__iter__():
                walked.append(1)
                yield message

    queue._messages = Counted(queue._messages)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)["Messages"]
    assert [int(m["Body"]) for m in first] == [0, 1, 2, 5, 6, 7, 8, 9, 10, 11]  # the delayed two skipped
    assert len(walked) == 12  # not 500
    walked.clear()
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [int(m["Body"]) for m in second] == list(range(12, 22))  # the ten in flight skipped
    assert len(walked) == 22
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"],
            counts["ApproximateNumberOfMessagesDelayed"]) == ("478", "20", "2")
