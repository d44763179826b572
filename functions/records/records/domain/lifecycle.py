"""A file's status and the moves between them.

    open ──close──▶ closed ──▶ under_review ──▶ destroyed
                      │  ▲          │  ▲
                      ▼  │          ▼  │
                      held ◀────────┘
                      closed / under_review ──▶ transferred

Only `open → closed` is reachable through records' own routes; the disposal and transfer
capabilities will drive the rest (a review, a hold, a transfer, a destruction). Destroyed and
transferred are final here (a transferred file lives on in the archive that took it).

A transfer (issue 11) first marks its files `being_transferred`, a reversible status: the file
keeps the status it had (`prior_status`) and goes back to it when the transfer is undone or the
receiver rejects it, or on to `transferred` once the receiver accepted it. While being
transferred a file takes no edits, items, components or overrides (what was packaged stays true).
"""
from __future__ import annotations

STATUSES = ("open", "closed", "under_review", "held", "transferred", "destroyed")
FINAL = ("transferred", "destroyed")

MOVES: dict[str, tuple[str, ...]] = {
    "open": ("closed",),
    "closed": ("under_review", "held", "transferred"),
    "under_review": ("closed", "held", "transferred", "destroyed"),
    "held": ("closed", "under_review"),
    "transferred": (),
    "destroyed": (),
}


# ---- transfer (issue 11): a reversible status between closed / under_review and transferred
BEING_TRANSFERRED = "being_transferred"
STATUSES += (BEING_TRANSFERRED,)
MOVES["closed"] += (BEING_TRANSFERRED,)
MOVES["under_review"] += (BEING_TRANSFERRED,)
MOVES[BEING_TRANSFERRED] = ("closed", "under_review", "transferred")  # back to prior_status, or on
IN_SAGA: tuple[str, ...] = (BEING_TRANSFERRED,)  # reserved by a saga: nothing changes them but its steps


class MoveRefused(Exception):
    """The file cannot go from its status to the one asked for."""


def can_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, ())


def check_move(current: str, target: str) -> None:
    if target not in STATUSES:
        raise MoveRefused(f"{target!r} is not a file status.")
    if not can_move(current, target):
        allowed = ", ".join(MOVES.get(current, ())) or "nothing (final)"
        raise MoveRefused(f"A {current} file cannot become {target}; from {current} it can become: {allowed}.")


def accepts_items(status: str) -> bool:
    """Items are added to open files only; a closed file's content is complete."""
    return status == "open"


def editable(status: str) -> bool:
    """Descriptive metadata can still be corrected once closed, never after the file left."""
    return status not in FINAL and status not in IN_SAGA
