"""Stacks' consumer of the records capability's file events (FileCreated, FileStatusChanged).

Keeps the read model of the organisation's record files that boxes refer to, so registering a
box never calls records. Each event is applied once (a receipt keyed by its id is written with
the change); a late status never replaces a newer one.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.apply_records_event, "records event")
