"""Circulation's consumer of stacks' box events: keeps the local read model of boxes.

The request routes read this model (owning organisation, status, loan, labels) instead of
calling the stacks capability. Events may come twice or out of order: each box keeps the
facts of its highest version, so a late or repeated event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.apply_stacks_event, "box event")
