"""The deliveries queue (SQS): one message per scheduled try, and the dead-letter queue after the last.

A message is `{"org_id", "client_id", "subscription_id", "delivery_id", "ticket", "due"}` (due: epoch
seconds). SQS delays a message by at most 15 minutes (DelaySeconds ≤ 900), so a try due later is
sent with the longest delay and, when it arrives early, sent again with the time still to wait
(logic/webhooks.py): a wait of 24 h is 96 short hops of a few milliseconds each. We chose this
over one-off EventBridge Scheduler schedules: no schedule to create and delete per try, no
scheduler role, no account quota of schedules to watch, and the local system runs it exactly as
AWS does (its SQS honours DelaySeconds).
"""
from __future__ import annotations

from functools import lru_cache
import json
import math
import os
from typing import Any, Iterable

MAX_DELAY_SECONDS = 900  # SQS's limit


@lru_cache(maxsize=None)
def _client():
    import boto3

    return boto3.client("sqs")


def delay_for(due: float, now: float) -> int:
    return max(0, min(MAX_DELAY_SECONDS, math.ceil(due - now)))


def send(messages: Iterable[tuple[dict[str, Any], int]]) -> None:
    """Send (message, delay seconds) pairs to the deliveries queue, ten to a call."""
    entries = [{"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":")), "DelaySeconds": delay}
               for i, (m, delay) in enumerate(messages)]
    url = os.environ["DELIVERIES_QUEUE_URL"]
    for start in range(0, len(entries), 10):
        answer = _client().send_message_batch(QueueUrl=url, Entries=entries[start:start + 10])
        if answer.get("Failed"):
            raise RuntimeError(f"the deliveries queue refused {len(answer['Failed'])} messages")


def dead_letter(message: dict[str, Any]) -> None:
    """A delivery whose last try failed: kept on the dead-letter queue (14 days) for operators."""
    _client().send_message(QueueUrl=os.environ["DELIVERIES_DEAD_LETTER_QUEUE_URL"],
                           MessageBody=json.dumps(message, separators=(",", ":")))
