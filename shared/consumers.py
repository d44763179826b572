"""One way to consume domain events from a capability's queue (EventBridge rule → SQS → here).

Each SQS record's body is an EventBridge event whose `detail` is the envelope. Failures
are reported per message (partial batch response), so a poison event reaches the
dead-letter queue after its retries without holding back the rest of the batch.

`event_consumer` applies one envelope at a time. `batch_consumer` hands the whole batch's
envelopes to one call, for a read model that can apply many events in a few reads and writes
(inventory's holdings); that call answers one outcome per envelope, an exception for each one
that failed, and only those messages are reported failed.

`event_consumer` keeps an eye on the function's clock: once what is left would not cover the
slowest record seen so far, twice, the rest of the batch is not started but reported failed,
to come back in the next invocation (a batch consumer's one call costs a few requests). A
consumer that ran into its timeout instead would have its environment replaced (a cold start
for its successor) and redo the whole batch; on a loaded machine that spiral kept read models
hundreds of events behind.
"""
from __future__ import annotations

import contextlib
import json
import time
from typing import Any, Callable, Iterator, Sequence

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from shared.observability import lambda_entry, logger, set_correlation_id


def event_consumer(apply: Callable[[dict[str, Any]], Any], message: str) -> Callable[[dict[str, Any], Any], dict]:
    """A Lambda handler that calls `apply(envelope)` per message and logs `message` with its outcome."""
    processor = BatchProcessor(event_type=EventType.SQS)
    budget = _Budget()

    def apply_record(record) -> None:  # Powertools passes the record by this keyword
        budget.check()
        with budget.timed():
            envelope = json.loads(record.body)["detail"]
            set_correlation_id(envelope.get("correlation_id"))
            outcome = apply(envelope)
        logger.info(message, extra={"event_id": envelope.get("id"), "type": envelope.get("type"), "outcome": outcome})

    @lambda_entry()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        budget.start(context)
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


MARGIN_MS = 1_000  # for the answer and the logs after the last record
_now = time.monotonic


class OutOfTime(Exception):
    """Not started: the function's time left would not cover it. Reported failed, retried in the next invocation."""


class _Budget:
    """The invocation's clock and the slowest unit of work seen in it (one Lambda environment runs one
    invocation at a time, so one budget per handler serves)."""

    def __init__(self) -> None:
        self._left: Callable[[], int] | None = None
        self._slowest_ms = 0.0

    def start(self, context: Any) -> None:
        self._left = getattr(context, "get_remaining_time_in_millis", None)
        self._slowest_ms = 0.0

    def check(self) -> None:
        if self._left is not None and self._left() < MARGIN_MS + 2 * self._slowest_ms:
            raise OutOfTime(f"{self._left()} ms left, the slowest took {self._slowest_ms:.0f} ms")

    @contextlib.contextmanager
    def timed(self) -> Iterator[None]:
        started = _now()
        try:
            yield
        finally:
            self._slowest_ms = max(self._slowest_ms, (_now() - started) * 1000)
