"""Audit's use cases, as the HTTP layer (app.py), the queue consumer (consumer.py) and the jobs (tasks.py) call them.

Each concern lives in its own module under `logic/`: recording (append a domain event to
every named entity's history), reading (read and verify one entity's history),
checkpoints (sign every chain's head out of the writers' reach; verify every chain) and exports
(a transfer's step: histories into its package).
"""
from __future__ import annotations

from .checkpoints import take_checkpoint, verify_all
from .exports import export_history
from .reading import entity_history
from .recording import record, record_many

__all__ = ["entity_history", "export_history", "record", "record_many", "take_checkpoint", "verify_all"]
