"""Partners' consumer of every capability's domain events (bus rule on every `records.*` source):
the change feed's own copy.

Each event is appended once to the feed of each organisation it belongs to; a duplicate or
redelivered event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_event, "event added to the feed")
