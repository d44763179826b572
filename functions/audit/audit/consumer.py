"""Audit's consumer of the domain-event queue: every event grows the chains of the entities it names."""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record, "event recorded")
