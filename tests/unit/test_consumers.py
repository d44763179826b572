"""shared.consumers: a consumer stops starting records when its time left would not cover the slowest one
seen, and reports the rest failed (retried later) instead of running into its timeout."""
from __future__ import annotations

import json

from shared.consumers import event_consumer


class Clock:
    """A Lambda context whose time left falls by `cost_ms` for each record applied."""

    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms
        self.function_name, self.memory_limit_in_mb, self.aws_request_id = "f", 128, "r"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


def _event(n: int) -> dict:
    return {"Records": [{"messageId": f"m{i}", "body": json.dumps({"detail": {"id": f"e{i}", "type": "T"}}),
                         "receiptHandle": "h", "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
                         "awsRegion": "us-east-1"} for i in range(n)]}


def test_records_not_started_for_lack_of_time_are_reported_failed_not_applied(monkeypatch):
    context, applied = Clock(10_000), []
    ticks = iter(range(0, 10_000_000, 1))
    monkeypatch.setattr("shared.consumers._now", lambda: next(ticks) * 1.5)  # each record: 1.5 s

    def apply(envelope):
        applied.append(envelope["id"])
        context.left_ms -= 1_500

    answer = event_consumer(apply, "applied")(_event(10), context)
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    # 10 s: after 5 records 2.5 s are left, less than 1 s + twice the slowest (1.5 s): the other five wait
    assert applied == [f"e{i}" for i in range(5)]
    assert failed == [f"m{i}" for i in range(5, 10)]


def test_with_time_to_spare_every_record_is_applied():
    applied = []
    answer = event_consumer(lambda e: applied.append(e["id"]), "applied")(_event(10), Clock(600_000))
    assert answer == {"batchItemFailures": []} and len(applied) == 10
