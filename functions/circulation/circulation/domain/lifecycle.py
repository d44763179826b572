"""The request state machine.

    requested ──approve──▶ approved ──check out──▶ checking_out ──box at its destination──▶ checked_out
        │    └─approve (box held or queue waiting)─▶ queued ──promote──▶ approved      │
        │                     ▲ abandon (saga failed; box held → queued)   │              │ return
        │                     ▲ check out (another request holds the box)  │              │
        ├─reject──▶ rejected  └────────────────────────────────────────────┘              ▼
        └─cancel (requested | approved | queued)──▶ cancelled       returned ◀──close── returning
                                                                              reopen: returning → checked_out

`checking_out` and `returning` belong to a saga: only its steps move the request out of them.
The loan is recorded while the request is still `checking_out`; the request says
`checked_out` only once the saga's last step has moved the box to its destination, so the
request and the box never tell two stories.
"""
from __future__ import annotations

from .problems import RequestStateConflict

STATUSES = ("requested", "approved", "queued", "checking_out", "checked_out", "returning", "returned",
            "rejected", "cancelled")
OPEN = ("requested", "approved", "queued", "checking_out", "checked_out", "returning")
FINAL = ("returned", "rejected", "cancelled")
HOLDING = ("checking_out", "checked_out", "returning")  # the request holds (or is taking) the box

# action → (statuses it may start from, status it leads to; None when decided elsewhere)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": (("requested",), None),  # approved, or queued when the box is held
    "reject": (("requested",), "rejected"),
    "cancel": (("requested", "approved", "queued"), "cancelled"),
    "start_check_out": (("approved",), "checking_out"),
    "queue": (("approved",), "queued"),  # a check-out asked while another request holds the box
    "record_loan": (("checking_out",), "checking_out"),  # the loan is written; the box has not moved yet
    "complete_check_out": (("checking_out",), "checked_out"),
    "abandon_check_out": (("checking_out", "checked_out"), None),  # approved, or queued when the box is held
    "promote": (("queued",), "approved"),
    "start_return": (("checked_out",), "returning"),
    "reopen": (("returning",), "checked_out"),
    "close": (("returning",), "returned"),
}

_VERBS = {"approve": "approved", "reject": "rejected", "cancel": "cancelled", "start_check_out": "checked out",
          "record_loan": "recorded as checked out", "complete_check_out": "completed", "abandon_check_out": "put back",
          "promote": "promoted", "queue": "queued",
          "start_return": "returned", "reopen": "reopened", "close": "closed"}


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def require(action: str, status: str) -> None:
    if not allowed(action, status):
        raise RequestStateConflict(f"A {status} request cannot be {_VERBS[action]}.", status_now=status)


def target(action: str, status: str, *, box_held: bool = False) -> str:
    """The status `action` leads to from `status`; refuses what the state machine does not allow."""
    require(action, status)
    fixed = TRANSITIONS[action][1]
    if fixed is not None:
        return fixed
    return "queued" if box_held else "approved"
