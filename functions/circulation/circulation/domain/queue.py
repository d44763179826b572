"""The reservation queue: one FIFO line per box of approved requests waiting for it.

A request joins the line when it is approved while the box is held by another request (or
others already wait), or when its check-out lost the race for the box. When the holder
returns the box, or its check-out is abandoned, the first in line is promoted back to
approved and a `ReservationReady` event tells the people concerned.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple


class Waiting(NamedTuple):
    queued_at: str
    request_id: str


def next_in_line(waiting: Iterable[Waiting]) -> Waiting | None:
    """First come, first served; the request id breaks a tie of equal timestamps deterministically."""
    line = sorted(waiting)
    return line[0] if line else None


def box_held(holders: Iterable[str], own_request_id: str | None, waiting: Iterable[Waiting] = (),
             stacks_status: str | None = None, stacks_loan_id: str | None = None,
             own_loan_id: str | None = None) -> bool:
    """Is the box out of reach for this request right now?

    Held when another request holds it (checking out, out, or being returned), when others
    already wait in line (no overtaking), or when the stacks say it is reserved or out for
    another loan. The stacks' word comes from events and may lag: it only ever makes a
    request wait, and the check-out saga (a conditional reservation in stacks) has the final say.
    """
    if any(h != own_request_id for h in holders):
        return True
    if any(w.request_id != own_request_id for w in waiting):
        return True
    return stacks_status in ("reserved", "checked_out") and stacks_loan_id not in (None, own_loan_id)


def position(waiting: Iterable[Waiting], request_id: str) -> int | None:
    """1-based place in line, or None when not waiting."""
    for index, entry in enumerate(sorted(waiting), start=1):
        if entry.request_id == request_id:
            return index
    return None
