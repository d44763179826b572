"""Audit's use cases, as the HTTP layer (app.py) and the queue consumer (consumer.py) call them.

Each concern lives in its own module under `logic/`: recording (append a domain event to
every named entity's history) and reading (read and verify one entity's history).
"""
from __future__ import annotations

from .reading import entity_history
from .recording import record

__all__ = ["entity_history", "record"]
