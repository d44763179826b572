"""A file's status and the moves between them.

    open ──close──▶ closed ──▶ under_review ──▶ destroyed
                      │  ▲          │  ▲
                      ▼  │          ▼  │
                      held ◀────────┘
                      closed / under_review ──▶ transferred
                      closed / under_review ──▶ being_destroyed ──▶ destroyed
                                    ▲                  │
                                    └── prior_status ◀─┘  (a run released the file)

Only `open → closed` is reachable through records' own routes; the disposal and transfer
capabilities drive the rest (a review, a hold, a transfer, a destruction). Destroyed and
transferred are final here (a transferred file lives on in the archive that took it; a destroyed
one as a residual record: metadata and history, no content). `being_destroyed` is reversible: a
destruction run marked the file (its status before is kept as `prior_status`), and until the
run destroys it or lets it go the file is frozen (IN_SAGA): no edits, items, components,
closing or overrides. A transfer (issue 11) likewise marks its files `being_transferred`: back to
`prior_status` when the transfer is undone or the receiver rejects the file, on to `transferred`
once the receiver accepted it.
"""
from __future__ import annotations

STATUSES = ("open", "closed", "under_review", "held", "being_destroyed", "transferred", "destroyed")
FINAL = ("transferred", "destroyed")

MOVES: dict[str, tuple[str, ...]] = {
    "open": ("closed",),
    "closed": ("under_review", "held", "transferred", "being_destroyed"),
    "under_review": ("closed", "held", "transferred", "destroyed", "being_destroyed"),
    "held": ("closed", "under_review"),
    "being_destroyed": ("closed", "under_review", "destroyed"),
    "transferred": (),
    "destroyed": (),
}


# ---- transfer (issue 11): a reversible status between closed / under_review and transferred
BEING_TRANSFERRED = "being_transferred"
STATUSES += (BEING_TRANSFERRED,)
MOVES["closed"] += (BEING_TRANSFERRED,)
MOVES["under_review"] += (BEING_TRANSFERRED,)
MOVES[BEING_TRANSFERRED] = ("closed", "under_review", "transferred")  # back to prior_status, or on
# Reserved by a saga (a destruction run or a transfer): reversible, but frozen; nothing changes them but its steps.
IN_SAGA: tuple[str, ...] = ("being_destroyed", BEING_TRANSFERRED)


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
    """Descriptive metadata can still be corrected once closed, never after the file left, nor while a
    saga (a destruction run, a transfer) holds it."""
    return status not in FINAL and status not in IN_SAGA
