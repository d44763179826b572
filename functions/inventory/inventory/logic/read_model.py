"""Inventory's read model of stacks (the expected holdings and the repositories), fed by stacks' events."""
from __future__ import annotations

from typing import Any

from ..data import campaigns as store
from ..domain import rules


def record_stacks_event(envelope: dict[str, Any]) -> bool:
    """Keep the read model: True if the event changed what we know of a box or of the repositories."""
    repository = rules.repository_from_event(envelope)
    if repository is not None:
        return store.record_repository(*repository)
    holding = rules.holding_from_event(envelope)
    if holding is None:
        return False
    return store.apply_holding(holding)
