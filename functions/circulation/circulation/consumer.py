"""Circulation's consumer of stacks' box events: keeps the local read model of boxes.

The request routes read this model (owning organisation, status, loan, labels) instead of
calling the stacks capability. Events may come twice or out of order: each box keeps the
facts of its highest version, so a late or repeated event changes nothing. A batch is applied at
once (`logic.apply_stacks_events`): each box's newest facts in it, read together and written a
hundred boxes to a transaction, so a burst of registrations or placements costs a few calls per
batch, not one per event; a message whose event could not be applied is reported failed alone.
"""
from __future__ import annotations

from shared.consumers import batch_consumer

from . import logic

handler = batch_consumer(logic.apply_stacks_events, "box event")
