"""The local queue event source gathers batches as the template asks (BatchSize, MaximumBatchingWindowInSeconds).

GIVEN a queue holding 35 messages and an event source of BatchSize 100 with a batching window
WHEN the poller takes a batch and the function handles it
THEN the batch holds all 35 (SQS hands out at most 10 per receive) and all are deleted (in calls
of at most 10); without a window a batch is one receive, as in AWS.
"""
from __future__ import annotations

import json

import boto3
from moto import mock_aws

from infrastructure.local import aws, pollers
from infrastructure.local.template import QueueSource
from infrastructure.local.workers import Invocation


class _Function:
    limit = 1

    def __init__(self) -> None:
        self.batches: list[int] = []

    def invoke(self, payload: bytes) -> Invocation:
        self.batches.append(len(json.loads(payload)["Records"]))
        return Invocation(payload=b'{"batchItemFailures": []}', error=None)


class _Workers:
    def __init__(self) -> None:
        self.function = _Function()

    def get(self, name: str) -> _Function:
        return self.function


def _poller(window_s: float, batch_size: int = 100) -> tuple[pollers.QueuePoller, _Workers, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="batches")["QueueUrl"]
    for start in range(0, 35, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps({"i": i})}
                                                      for i in range(start, min(start + 10, 35))])
    workers = _Workers()
    source = QueueSource(function="Consumer", event_id="Events", report_failures=True, batch_size=batch_size,
                         queue_arn="arn:aws:sqs:us-east-1:123456789012:batches", batching_window_s=window_s)
    return pollers.QueuePoller(source, workers, pollers.threading.Event()), workers, url


@mock_aws
def test_a_batching_window_gathers_up_to_the_batch_size_and_every_message_is_deleted(monkeypatch):
    monkeypatch.setattr(aws, "_clients", {})
    poller, workers, url = _poller(window_s=1)
    sqs = aws.client("sqs")

    batch = poller._receive(sqs)
    poller._deliver(batch)

    assert workers.function.batches == [35]
    assert sorted(json.loads(m["Body"])["i"] for m in batch) == list(range(35))
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


@mock_aws
def test_without_a_window_a_batch_is_one_receive(monkeypatch):
    monkeypatch.setattr(aws, "_clients", {})
    poller, _, _ = _poller(window_s=0)
    assert len(poller._receive(aws.client("sqs"))) <= 10


def test_the_template_asks_inventory_for_large_batches():
    from tests.support.template import resource

    events = resource("InventoryEventsFunction")["Properties"]["Events"]["BoxEvents"]["Properties"]
    assert (events["BatchSize"], events["MaximumBatchingWindowInSeconds"]) == (100, 1)
