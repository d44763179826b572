"""Partners' webhook delivery function: each message of the deliveries queue is one try (or a hop
of a try not yet due); and, on a schedule, `{"job": "resume_stalled_deliveries"}`: pending
deliveries long past due get a new message (the queue lost theirs). The tries of a batch run side by side: each waits mostly on a receiver
(up to 15 s), not on this function. A message that raises comes back after the queue's
visibility timeout (its ticket still holds, so it is tried again); one that keeps failing goes
to the dead-letter queue (redrive policy).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import json
from typing import Any

from shared.observability import lambda_entry, logger

from . import logic

_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook")  # SQS batches hold at most 10


def _one(record: dict[str, Any]) -> str | None:
    """None when the message is done with, else its id (a partial batch failure)."""
    try:
        logic.deliver(json.loads(record["body"]))
    except Exception:  # noqa: BLE001 — the message comes back; the others of the batch are not held up
        logger.exception("webhook try failed", extra={"message_id": record.get("messageId")})
        return record["messageId"]
    return None


@lambda_entry()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("job") == "resume_stalled_deliveries":
        return {"resumed": logic.resume_stalled()}
    failed = [m for m in _pool.map(_one, event.get("Records", [])) if m is not None]
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
