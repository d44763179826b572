"""The transactional outbox: a state change and its domain event in one write.

Writer side: `stage()` adds the event item to the same PynamoDB `TransactWrite`
as the state change, so either both land or neither does. Relay side: the table's
stream carries new outbox items to the relay function, which publishes the stored
envelope unchanged to the EventBridge bus. Outbox items expire after a week (TTL);
the bus and the audit trail keep the history.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from shared.events import DomainEvent

OUTBOX_PREFIX = "OUTBOX#"
RETENTION_SECONDS = 7 * 24 * 3600
PUT_EVENTS_BATCH = 10  # EventBridge's per-call limit
STOP_BEFORE_TIMEOUT_MS = 5_000  # room left for one slow PutEvents call and the answer


def outbox_model(item_base: type[Model]) -> type[Model]:
    """The outbox item type of a capability's table (`item_base`: the table's `Table.Item`)."""

    class OutboxItem(item_base):  # type: ignore[misc, valid-type]
        event_type = UnicodeAttribute()
        source = UnicodeAttribute()
        envelope = UnicodeAttribute()
        expiration = NumberAttribute()

    return OutboxItem


def stage(transaction: Any, outbox_cls: type[Model], event: DomainEvent) -> None:
    item = outbox_cls(
        pk=OUTBOX_PREFIX + event.id, sk="EVENT", event_type=event.type, source=event.source,
        envelope=json.dumps(event.to_dict(), separators=(",", ":")),
        expiration=int(time.time()) + RETENTION_SECONDS,
    )
    transaction.save(item, condition=outbox_cls.pk.does_not_exist())


# ----------------------------------------------------------------- relay side
def envelopes_from_stream(records: Iterable[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(sequence number, envelope) for each new outbox item in a DynamoDB stream batch."""
    found = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") != "INSERT" or not image.get("pk", {}).get("S", "").startswith(OUTBOX_PREFIX):
            continue
        found.append((record["dynamodb"]["SequenceNumber"], json.loads(image["envelope"]["S"])))
    return found


def publish(client: Any, bus_name: str, batch: list[tuple[str, dict[str, Any]]],
            time_left_ms: Callable[[], int] | None = None) -> list[str]:
    """Put envelopes on the bus; return the sequence numbers that failed (for a partial-batch retry).

    With `time_left_ms` (the Lambda context's clock), records it has no time left for are
    returned as failed instead of being attempted: the stream checkpoints past what was
    published and hands the rest over as a new batch. A batch that outgrows the function's
    timeout is therefore never retried whole, so work already done is not redone (under load
    that retry loop kept the relay busy republishing and events went to its dead-letter queue).
    """
    failed: list[str] = []
    for start in range(0, len(batch), PUT_EVENTS_BATCH):
        if time_left_ms is not None and start and time_left_ms() < STOP_BEFORE_TIMEOUT_MS:
            failed.extend(seq for seq, _ in batch[start:])
            break
        chunk = batch[start:start + PUT_EVENTS_BATCH]
        response = client.put_events(Entries=[
            {"EventBusName": bus_name, "Source": env["source"], "DetailType": env["type"],
             "Detail": json.dumps(env, separators=(",", ":")), "Time": env["occurred_at"]}
            for _, env in chunk
        ])
        if response.get("FailedEntryCount"):
            failed.extend(seq for (seq, _), entry in zip(chunk, response["Entries"]) if entry.get("ErrorCode"))
    return failed
