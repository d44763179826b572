"""Publishes new outbox items from a DynamoDB stream batch to the domain-event bus.

The stream's filter delivers only inserted outbox items; anything else is ignored.
Failed entries are reported by sequence number so only they are retried.
"""
from __future__ import annotations

from functools import lru_cache
import os
from typing import Any

import boto3

from shared import outbox
from shared.observability import logger, metrics, tracer


@lru_cache(maxsize=1)
def _events():
    return boto3.client("events")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = outbox.envelopes_from_stream(event.get("Records", []))
    clock = getattr(context, "get_remaining_time_in_millis", None)
    failed = outbox.publish(_events(), os.environ["EVENT_BUS_NAME"], batch, time_left_ms=clock) if batch else []
    metrics.add_metric(name="EventsPublished", unit="Count", value=len(batch) - len(failed))
    if failed:
        logger.warning("some events were not accepted by the bus", extra={"failed": failed})
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}
