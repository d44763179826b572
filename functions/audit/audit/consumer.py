"""Audit's consumer of the domain-event queue: every event grows the chains of the entities it names.

A batch is recorded at once (`logic.record_many`): each chain's head read once, its events appended
together, several chains to a transaction; not a read and a transaction per event and entity.
"""
from __future__ import annotations

from shared.consumers import batch_consumer

from . import logic

handler = batch_consumer(logic.record_many, "event recorded")
