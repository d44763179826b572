"""Disposal's consumer of records' file events (its read model of files: unit, class, status, due date).

Each event is applied once (a receipt of its id, written with its effect), so a duplicate or late event
changes nothing twice; status and due date keep the newest word.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_event, "event applied to disposal's read model")
