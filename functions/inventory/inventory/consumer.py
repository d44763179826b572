"""Inventory's consumer of stacks' box events: keeps the expected-holdings read model.

The model keeps the newest version of each box, so a duplicate or late event changes nothing.
A batch is applied at once (`logic.record_stacks_events`): each box's newest version in it, read
together and written in a few transactions, so a burst of placements costs a few calls per batch,
not two per event; a message whose event could not be applied is reported failed alone.
"""
from __future__ import annotations

from shared.consumers import batch_consumer

from . import logic

handler = batch_consumer(logic.record_stacks_events, "stacks event applied")
