"""Records' consumer of other capabilities' events: classification's published schemes (the classes and
rules files are filed under), stacks' box events (where a file's boxes are), and disposal's committee
decisions to re-set a file's retention (applied as a retention override).

Each event is applied once (classification's and disposal's by a receipt of their id, boxes by their
version), so a duplicate or late event changes nothing. A batch's box events are applied together
(`logic.record_events`): a read per 100 boxes and a few boxes per transaction, not a read and a
transaction per event.
"""
from __future__ import annotations

from shared.consumers import batch_consumer

from . import logic

handler = batch_consumer(logic.record_events, "event applied to records' read models")
