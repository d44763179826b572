"""What every circulation use case shares: its events, the saga's actor, the visible request."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.events import DomainEvent, EventFactory, Subject, system_actor

from ..data import loans as store
from ..domain import rules
from ..domain.model import Request

STEP_ATTEMPTS = 6  # read-decide-write rounds a step or the queue tries before it is contended

event = EventFactory("circulation")


def request_event(type_: str, request: Request, payload: dict[str, Any], actor: dict[str, Any]) -> DomainEvent:
    """An event of a request: it belongs to the request's history and to its box's."""
    subjects = [Subject("loan_request", request.id, request.org_id), Subject("box", request.box_id, request.org_id)]
    return event(type_, subjects, {"request": request.public(), **payload}, actor)


def saga_actor(request: Request) -> dict[str, Any]:
    return system_actor(request.org_id, loan_id=request.loan_id)


def visible_request(caller: Caller, request_id: str) -> Request:
    """The request, if the caller may see it (404 otherwise: another's existence is not disclosed)."""
    org = rules.org_of(caller)
    return rules.require_visible(caller, store.get_request(org, request_id))
