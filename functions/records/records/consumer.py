"""Records' consumer of other capabilities' events: classification's published schemes (the classes and
rules files are filed under) and stacks' box events (where a file's boxes are).

Each event is applied once (classification's by a receipt of its id, boxes by their version), so a
duplicate or late event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_event, "event applied to records' read models")
