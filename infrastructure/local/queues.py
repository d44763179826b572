"""The template's SQS queues: how deep each is, how long their oldest message has waited,
and moving dead letters back (redrive).

A dead-letter queue is any queue another queue's RedrivePolicy names, or a stream event
source's OnFailure destination. Health reports every queue's depth and is not "ok" while
a dead-letter queue holds messages. `redrive()` moves the messages of each dead-letter
queue that serves a queue back to that queue (as SQS's StartMessageMoveTask does), so
its consumer gets them again; consumers deduplicate by event id, so a message that was in
fact handled before is recorded once. A stream's OnFailure queue holds batch descriptions
(a shard and a range of sequence numbers), not events: redrive leaves it alone; its
outbox items are still in their table and are streamed again at the next start.

The age of a queue's oldest message (SQS's ApproximateAgeOfOldestMessage, a CloudWatch
metric rather than an API attribute) is read from the emulator itself, which runs in this
process and stamps every message when it is sent; receiving messages to look would count
as a receive and bring them closer to the dead-letter queue.
"""
from __future__ import annotations

import time
from typing import Any

from .aws import client, queue_url
from .template import ACCOUNT_ID, REGION, Template

REDRIVE_BATCH = 10  # SQS's per-call limit


class Queues:
    def __init__(self, template: Template) -> None:
        self.arns: dict[str, str] = {}
        self.source_of: dict[str, str] = {}  # dead-letter queue arn -> the queue it serves
        for logical in template.of_type("AWS::SQS::Queue"):
            self.arns[logical] = template.resolve({"Fn::GetAtt": [logical, "Arn"]})
        for logical in self.arns:
            policy = template.properties(logical).get("RedrivePolicy") or {}
            if policy.get("deadLetterTargetArn"):
                self.source_of[policy["deadLetterTargetArn"]] = self.arns[logical]
        self.stream_failure_queues = {s.on_failure for s in template.stream_sources() if s.on_failure}
        self.logical_of = {arn: logical for logical, arn in self.arns.items()}
        self._urls: dict[str, str] = {}

    def url(self, arn: str) -> str:
        if arn not in self._urls:  # health asks often; a queue's URL never changes
            self._urls[arn] = queue_url(arn)
        return self._urls[arn]

    def is_dead_letter(self, arn: str) -> bool:
        return arn in self.source_of or arn in self.stream_failure_queues

    def depths(self) -> dict[str, dict[str, Any]]:
        sqs, found = client("sqs"), {}
        for logical, arn in self.arns.items():
            attributes = sqs.get_queue_attributes(
                QueueUrl=self.url(arn),
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            found[logical] = {"messages": int(attributes.get("ApproximateNumberOfMessages", 0)),
                              "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                              "dead_letter": self.is_dead_letter(arn)}
        return found

    def oldest_age_s(self, arn: str) -> float | None:
        """Seconds since the oldest message still in the queue (visible or in flight) was due: sent, or
        its delay over. A message still in its delay is not late (webhook retries wait there by design)."""
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT_ID][REGION].queues.get(arn.rsplit(":", 1)[1])
        due = [max(m.sent_timestamp, getattr(m, "delayed_until", 0) or 0) for m in list(queue._messages)
               if m.sent_timestamp and not m.delayed] if queue else []
        return round(max(0.0, time.time() - min(due) / 1000), 1) if due else None

    def redrive(self) -> dict[str, int]:
        """Move every message of each queue-serving dead-letter queue back to its queue; moved per DLQ."""
        sqs, moved = client("sqs"), {}
        for logical, arn in self.arns.items():
            source = self.source_of.get(arn)
            if source is None:
                continue
            dlq_url, source_url, count = queue_url(arn), queue_url(source), 0
            while True:
                batch = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=REDRIVE_BATCH,
                                            WaitTimeSeconds=0, VisibilityTimeout=30).get("Messages", [])
                if not batch:
                    break
                for message in batch:  # sent first, then deleted: a crash in between duplicates, never loses
                    sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
                    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
                    count += 1
            moved[logical] = count
        return moved
