"""Inventory's consumer of stacks' box events (EventBridge → SQS → here).

Each SQS record's body is an EventBridge event whose `detail` is the envelope. The holdings
read model keeps the newest version of each box, so a duplicate or late event changes
nothing. Failures are reported per message (partial batch), so one poison event goes to
the dead-letter queue after its retries without holding back the rest.
"""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from shared.observability import logger, metrics, set_correlation_id, tracer

from . import logic

processor = BatchProcessor(event_type=EventType.SQS)


def _record(record) -> None:
    envelope = json.loads(record.body)["detail"]
    set_correlation_id(envelope.get("correlation_id"))
    changed = logic.record_stacks_event(envelope)
    logger.info("stacks event applied", extra={"event_id": envelope.get("id"), "type": envelope.get("type"),
                                               "changed": changed})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
