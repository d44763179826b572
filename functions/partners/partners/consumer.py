"""Partners' consumer of every capability's domain events (bus rule on every `records.*` source):
the change feed's own copy, and the webhook deliveries of the subscriptions that want it.

Each event is appended once to the feed of each organisation it belongs to; a duplicate or
redelivered event changes nothing. A batch is handled at once: each organisation's events appended
in one transaction, its subscriptions read once.
"""
from __future__ import annotations

from typing import Any

from shared.consumers import batch_consumer

from . import logic


def _consume(envelopes: list[dict[str, Any]]) -> list[dict[str, int] | Exception]:
    """The batch's feed copies first (each organisation's appended together), then each event's webhook
    deliveries (an organisation's subscriptions read once per batch). Both idempotent: a redelivered
    event adds nothing to the feed and makes no second delivery; an event whose feed copy failed is not
    fanned out, and comes again."""
    feeds, subscriptions = logic.record_events(envelopes), {}
    outcomes: list[dict[str, int] | Exception] = []
    for index, envelope in enumerate(envelopes):
        fed = feeds.get(index, 0)
        if isinstance(fed, Exception):
            outcomes.append(fed)
            continue
        try:
            outcomes.append({"feeds": fed, "deliveries": logic.fan_out(envelope, cache=subscriptions)})
        except Exception as exc:  # noqa: BLE001 — this event alone comes again
            outcomes.append(exc)
    return outcomes


handler = batch_consumer(_consume, "event added to the feed and fanned out to webhooks")
