"""Inventory's read model of stacks (the expected holdings and the repositories), fed by stacks' events."""
from __future__ import annotations

from typing import Any

from ..data import campaigns as store
from ..domain import rules
from ..domain.model import Holding


def record_stacks_event(envelope: dict[str, Any]) -> bool:
    """Keep the read model: True if the event changed what we know of a box or of the repositories."""
    repository = rules.repository_from_event(envelope)
    if repository is not None:
        return store.record_repository(*repository)
    holding = rules.holding_from_event(envelope)
    if holding is None:
        return False
    return store.apply_holding(holding)


def record_stacks_events(envelopes: list[dict[str, Any]]) -> list[bool | Exception]:
    """A whole batch of stacks' events at once: one outcome per envelope (True if it changed the
    model, an Exception if it could not be applied and must come again).

    Only each box's newest version in the batch can change the model, so the batch's box events
    become one holding per box (a duplicate or an older version answers False, or the failure of
    the box's newest), applied together: read in one BatchGetItem per 100 boxes, written in a few
    transactions (data.apply_holdings). Repository events are few and go one by one."""
    outcomes: list[bool | Exception] = [False] * len(envelopes)
    held: dict[int, Holding] = {}
    for index, envelope in enumerate(envelopes):
        try:
            repository = rules.repository_from_event(envelope)
            if repository is not None:
                outcomes[index] = store.record_repository(*repository)
                continue
            holding = rules.holding_from_event(envelope)
        except Exception as exc:  # noqa: BLE001 — this event alone comes again
            outcomes[index] = exc
            continue
        if holding is not None:
            held[index] = holding
    newest = rules.newest_holdings(held.values())
    applied = store.apply_holdings(list(newest.values()))
    for index, holding in held.items():
        box = (holding.org_id, holding.box_id)
        outcome = applied[box]
        outcomes[index] = outcome if isinstance(outcome, Exception) or holding is newest[box] else False
    return outcomes
