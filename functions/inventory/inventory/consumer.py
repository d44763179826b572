"""Inventory's consumer of stacks' box events: keeps the expected-holdings read model.

The model keeps the newest version of each box, so a duplicate or late event changes nothing.
"""
from __future__ import annotations

from shared.consumers import event_consumer

from . import logic

handler = event_consumer(logic.record_stacks_event, "stacks event applied")
