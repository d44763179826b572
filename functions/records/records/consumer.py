"""Records' consumer of other capabilities' events: classification's published schemes (the classes and
rules files are filed under), stacks' box events (where a file's boxes are), and disposal's committee
decisions to re-set a file's retention (applied as a retention override).

Each event is applied once (classification's and disposal's by a receipt of their id, boxes by their
version), so a duplicate or late event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_event, "event applied to records' read models")
