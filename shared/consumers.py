"""One way to consume domain events from a capability's queue (EventBridge rule → SQS → here).

Each SQS record's body is an EventBridge event whose `detail` is the envelope. Failures
are reported per message (partial batch response), so a poison event reaches the
dead-letter queue after its retries without holding back the rest of the batch.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from shared.observability import lambda_entry, logger, set_correlation_id


def event_consumer(apply: Callable[[dict[str, Any]], Any], message: str) -> Callable[[dict[str, Any], Any], dict]:
    """A Lambda handler that calls `apply(envelope)` per message and logs `message` with its outcome."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def apply_record(record) -> None:  # Powertools passes the record by this keyword
        envelope = json.loads(record.body)["detail"]
        set_correlation_id(envelope.get("correlation_id"))
        outcome = apply(envelope)
        logger.info(message, extra={"event_id": envelope.get("id"), "type": envelope.get("type"), "outcome": outcome})

    @lambda_entry()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_partial_response(event=event, record_handler=apply_record, processor=processor, context=context)

    return handler
