"""Partners' consumer of every capability's domain events (bus rule on every `records.*` source):
the change feed's own copy, and the webhook deliveries of the subscriptions that want it.

Each event is appended once to the feed of each organisation it belongs to; a duplicate or
redelivered event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic


def _consume(envelope: dict) -> dict:
    """The feed's copy first, then the webhook deliveries (both idempotent: a redelivered event adds
    nothing to the feed and makes no second delivery)."""
    return {"feeds": logic.record_event(envelope), "deliveries": logic.fan_out(envelope)}


handler = event_consumer(_consume, "event added to the feed and fanned out to webhooks")
