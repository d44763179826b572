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

Depths and the age of a queue's oldest message (SQS's ApproximateAgeOfOldestMessage, a
CloudWatch metric rather than an API attribute) are read from the emulator itself, which runs
in this process and stamps every message when it is sent, in one walk of each queue;
receiving messages to look would count as a receive and bring them closer to the
dead-letter queue.
"""
from __future__ import annotations

import time
from typing import Any

from .aws import client, queue_url
from .template import ACCOUNT_ID, REGION, Template

REDRIVE_BATCH = 10  # SQS's per-call limit


def _count(messages: list[Any], now_s: float | None = None) -> dict[str, Any]:
    """SQS's ApproximateNumberOfMessages (visible, not delayed) and ...NotVisible (in flight), and
    the seconds since the oldest message that is not in its delay was due (sent, or its delay over;
    a webhook retry waiting out its delay is not late)."""
    now_ms = (time.time() if now_s is None else now_s) * 1000
    visible = in_flight = 0
    oldest = None
    for m in messages:
        if now_ms < m.delayed_until:
            continue
        if now_ms > m.visible_at:
            visible += 1
        else:
            in_flight += 1
        due = max(m.sent_timestamp or 0, m.delayed_until or 0)
        if m.sent_timestamp and (oldest is None or due < oldest):
            oldest = due
    return {"messages": visible, "in_flight": in_flight,
            "oldest_age_s": round(max(0.0, (now_ms - oldest) / 1000), 1) if oldest is not None else None}


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

    def is_dead_letter(self, arn: str) -> bool:
        return arn in self.source_of or arn in self.stream_failure_queues

    def depths(self) -> dict[str, dict[str, Any]]:
        """Each queue's visible and in-flight messages and the age of its oldest due one, counted in one
        walk of the emulator's own list (this process runs it). GetQueueAttributes would walk a queue three
        times, and the age is no API attribute: health is polled every second while a backlog of tens of
        thousands of events drains, so five walks per queue per poll took GIL time from the consumers."""
        from moto.sqs.models import sqs_backends

        backend, found = sqs_backends[ACCOUNT_ID][REGION], {}
        for logical, arn in self.arns.items():
            queue = backend.queues.get(arn.rsplit(":", 1)[1])
            found[logical] = {**_count(list(queue._messages) if queue else []),
                              "dead_letter": self.is_dead_letter(arn)}
        return found

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
