"""The reservation queue of a box: the next request in line becomes ready when nobody holds the box."""
from __future__ import annotations

from shared.events import now_iso, system_actor
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import loans as store
from ..domain import lifecycle
from ..domain.queue import next_in_line
from .common import STEP_ATTEMPTS, request_event


class _StalePlace(Exception):
    """The head of the queue names a request that is no longer queued (its place was just cleared)."""


def promote_next(org_id: str, box_id: str) -> str | None:
    """If nobody holds the box, the first request in its queue becomes approved (ready) again.

    Safe to repeat and to race: the promotion is a conditional write on the head's version, and a
    box with a holder or a ready request is left alone."""
    def attempt() -> str | None:
        holders, waiting = store.box_slots(org_id, box_id)
        head = next_in_line(waiting)
        if holders or head is None:
            return None
        request = store.get_request(org_id, head.request_id, consistent=True)
        if request is None or request.status != "queued":
            store.drop_queue_place(org_id, box_id, head)  # a stale place (should not happen): clear it
            raise _StalePlace(head.request_id)
        stamp = now_iso()
        after = request.with_changes(status=lifecycle.target("promote", request.status), queued_at=None,
                                     ready_at=stamp, version=request.version + 1, updated_at=stamp)
        store.save_request(after, request, request_event("ReservationReady", after, {}, system_actor(org_id)),
                           dequeue=True, ready=True)
        return after.id

    return retrying(attempt, attempts=STEP_ATTEMPTS, lost=(PreconditionFailed, _StalePlace),
                    contended=f"The queue of box {box_id} kept changing.")
