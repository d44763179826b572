"""Holds (보류): placed, lifted (never deleted), listed per organisation (keys: see tables.py)."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict

from ..domain.model import Hold
from .tables import HoldItem, hold_sort_key, org_key
from .tx import Tx, page, read


def get_hold(org_id: str, hold_id: str, consistent: bool = False) -> Hold | None:
    try:
        return read(HoldItem.get, org_key(org_id), hold_sort_key(hold_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def place(hold: Hold, event: DomainEvent) -> None:
    (Tx().put(HoldItem.of(hold), condition=HoldItem.pk.does_not_exist(), on_fail=Conflict("That hold exists."))
     .event(event).run())


def save(after: Hold, before: Hold, event: DomainEvent) -> None:
    (Tx().put(HoldItem.of(after), condition=(HoldItem.version == before.version) & (HoldItem.status == before.status),
              on_fail=stale("hold"))
     .event(event).run())


def list_holds(org_id: str, limit: int, cursor: str | None, status: str | None = None):
    condition = (HoldItem.status == status) if status else None
    return page(HoldItem, org_key(org_id), hold_sort_key(""), limit, cursor, filter_condition=condition)


def active_holds(org_id: str) -> list[Hold]:
    """Every active hold of the organisation (there are few; each file's check reads them)."""
    found, cursor = [], None
    while True:
        holds, cursor = list_holds(org_id, 100, cursor, "active")
        found += holds
        if not cursor:
            return found
