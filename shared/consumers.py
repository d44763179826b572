"""One way to consume domain events from a capability's queue (EventBridge rule → SQS → here).

Each SQS record's body is an EventBridge event whose `detail` is the envelope. Failures
are reported per message (partial batch response), so a poison event reaches the
dead-letter queue after its retries without holding back the rest of the batch.

`event_consumer` applies one envelope at a time. `batch_consumer` hands the whole batch's
envelopes to one call, for a read model that can apply many events in a few reads and writes
(inventory's holdings); that call answers one outcome per envelope, an exception for each one
that failed, and only those messages are reported failed.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Sequence

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


def batch_consumer(apply: Callable[[list[dict[str, Any]]], Sequence[Any]],
                   message: str) -> Callable[[dict[str, Any], Any], dict]:
    """A Lambda handler that calls `apply(envelopes)` once per batch. `apply` answers an outcome per
    envelope, in order (an Exception for each envelope it could not apply); a message that is no
    envelope, or whose envelope failed, is reported failed alone; if `apply` raises, all are."""

    @lambda_entry()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event.get("Records") or []
        failed: list[str] = []
        envelopes, ids = [], []
        for record in records:
            try:
                envelope = json.loads(record["body"])["detail"]
                if not isinstance(envelope, dict):
                    raise TypeError("detail is not an envelope")
            except (KeyError, TypeError, ValueError) as exc:
                logger.warning(f"{message}: not an envelope", extra={"message_id": record.get("messageId"),
                                                                      "error": repr(exc)})
                failed.append(record.get("messageId"))
                continue
            envelopes.append(envelope)
            ids.append(record["messageId"])
        if envelopes:
            try:
                outcomes = list(apply(envelopes))
            except Exception as exc:  # noqa: BLE001 — the whole batch is retried, message by message
                logger.exception(f"{message}: the batch failed", extra={"events": len(envelopes)})
                outcomes = [exc] * len(envelopes)
            for envelope, message_id, outcome in zip(envelopes, ids, outcomes, strict=True):
                set_correlation_id(envelope.get("correlation_id"))
                if isinstance(outcome, Exception):
                    logger.warning(f"{message}: failed", extra={"event_id": envelope.get("id"),
                                                                 "type": envelope.get("type"), "error": repr(outcome)})
                    failed.append(message_id)
                else:
                    logger.info(message, extra={"event_id": envelope.get("id"), "type": envelope.get("type"),
                                                "outcome": outcome})
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    return handler
