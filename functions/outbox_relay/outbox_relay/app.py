"""Publishes new outbox items from a DynamoDB stream batch to the domain-event bus.

The stream's filter delivers only inserted outbox items; anything else is ignored.
Failed entries are reported by sequence number so only they are retried.
"""
from __future__ import annotations

from functools import lru_cache
import os
from typing import Any

from shared import outbox
from shared.observability import lambda_entry, logger, metrics


@lru_cache(maxsize=1)
def _events():
    import boto3  # imported with the client it makes, as the capabilities do theirs

    return boto3.client("events")


@lambda_entry()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = outbox.envelopes_from_stream(event.get("Records", []))
    clock = getattr(context, "get_remaining_time_in_millis", None)
    failed = outbox.publish(_events(), os.environ["EVENT_BUS_NAME"], batch, time_left_ms=clock) if batch else []
    metrics.add_metric(name="EventsPublished", unit="Count", value=len(batch) - len(failed))
    if failed:
        logger.warning("some events were not accepted by the bus", extra={"failed": failed})
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}
