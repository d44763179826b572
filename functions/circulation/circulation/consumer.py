"""Circulation's consumer of stacks' box events (EventBridge rule → SQS → here).

It keeps the local read model of boxes (owning organisation, status, loan, labels) that the
request routes read instead of calling the stacks capability. Events may come twice or out of
order: each box keeps the facts of its highest version (ties: the later event), so a late or
repeated event changes nothing. Failures are reported per message; a poison message reaches
the dead-letter queue after its retries without holding back the batch.
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
    outcome = logic.apply_stacks_event(envelope)
    logger.info("box event", extra={"event_id": envelope.get("id"), "type": envelope.get("type"), "outcome": outcome})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
