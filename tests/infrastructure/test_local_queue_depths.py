"""Health's queue depths are counted in one walk of the emulator's own list: the same figures as
GetQueueAttributes, and the age of the oldest message that is due."""
from __future__ import annotations

import time

import boto3
from moto import mock_aws

from infrastructure.local.queues import _count


@mock_aws
def test_one_walk_counts_what_get_queue_attributes_counts_and_the_oldest_due_message():
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="depths")["QueueUrl"]
    for i in range(40):
        sqs.send_message(QueueUrl=url, MessageBody=str(i), DelaySeconds=600 if i % 10 == 0 else 0)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
    queue = sqs_backends["123456789012"]["us-east-1"].queues["depths"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    counted = _count(list(queue._messages))
    assert (counted["messages"], counted["in_flight"]) == (
        int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"]))
    assert (counted["messages"], counted["in_flight"]) == (26, 10)  # 4 in their delay: neither

    oldest_due = min(m.sent_timestamp for m in queue._messages if m.delayed_until == 0)
    later = oldest_due / 1000 + 90
    assert _count(list(queue._messages), now_s=later)["oldest_age_s"] == 90.0
    assert _count([], now_s=time.time()) == {"messages": 0, "in_flight": 0, "oldest_age_s": None}
