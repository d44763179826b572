"""Box statuses and the moves between them.

    unplaced ──place──▶ shelved ──reserve(loan)──▶ reserved ──check out(loan)──▶ checked_out
        ▲   ◀──remove──   │  ▲   ◀──release(loan)──    │                            │
        │                 │  └───────────────return(loan)───────────────────────────┘
        │                 ├──report missing──▶ missing ──found / re-placed──▶ shelved
        └──(no home)──────┴──start transfer──▶ in_transfer ──cancel──▶ shelved | unplaced

Staff move boxes between unplaced, shelved, missing and in_transfer; only the check-out
saga (circulation) reserves, releases, checks out and returns, each step keyed by its
loan id. The data layer turns each allowed move into a conditional write on the status
read here, so two concurrent moves never both succeed.
"""
from __future__ import annotations

STATUSES = ("unplaced", "shelved", "reserved", "checked_out", "missing", "in_transfer")
PLACEABLE = ("unplaced", "shelved", "missing")  # PUT placement: place, move, or re-shelve a found box
REMOVABLE = ("shelved", "missing", "in_transfer")  # DELETE placement frees the home shelf
MANUAL_TARGETS = ("missing", "in_transfer", "shelved", "unplaced")


class TransitionRefused(Exception):
    """The box's status does not allow this."""


def check_place(status: str) -> None:
    if status not in PLACEABLE:
        raise TransitionRefused(f"A {status} box cannot be placed or moved; it must be back on its shelf first.")


def check_remove(status: str, has_home: bool) -> None:
    if not has_home or status not in REMOVABLE:
        raise TransitionRefused(f"A {status} box has no shelf to be removed from." if not has_home else
                                f"A {status} box cannot be taken off the shelves now.")


def check_manual(current: str, target: str, has_home: bool) -> None:
    """Status changes staff make by hand (everything the saga does not own)."""
    allowed = {
        ("shelved", "missing"),  # 망실: not found where the register says
        ("missing", "shelved"),  # found again at its home shelf
        ("shelved", "in_transfer"),
        ("unplaced", "in_transfer"),
    }
    if current == "in_transfer" and target == ("shelved" if has_home else "unplaced"):
        return  # transfer cancelled: back where it was
    if (current, target) not in allowed:
        raise TransitionRefused(f"A {current} box cannot become {target} by hand.")
    if target == "shelved" and not has_home:
        raise TransitionRefused("The box has no home shelf; place it instead.")


# ----------------------------------------------------------------- saga steps
# Each returns "apply" when the step must change the box, "already" when this loan's step
# has already happened (a retry), or raises TransitionRefused (a business rejection).
def reserve(status: str, loan_id: str | None, loan: str) -> str:
    if loan_id == loan and status in ("reserved", "checked_out"):
        return "already"
    if status != "shelved":
        raise TransitionRefused(f"The box is {status}" + (" for another loan." if loan_id else "."))
    return "apply"


def release(status: str, loan_id: str | None, loan: str) -> str:
    """Compensation: undo a reservation; anything else means there is nothing of ours to undo."""
    if status == "reserved" and loan_id == loan:
        return "apply"
    return "already"


def check_out(status: str, loan_id: str | None, loan: str) -> str:
    if status == "checked_out" and loan_id == loan:
        return "already"
    if status != "reserved" or loan_id != loan:
        raise TransitionRefused(f"The box is {status}" + ("" if loan_id in (None, loan) else " for another loan")
                                + "; only a box reserved for this loan can be checked out.")
    return "apply"


def return_home(status: str, loan_id: str | None, loan: str) -> str:
    if status == "checked_out" and loan_id == loan:
        return "apply"
    if loan_id == loan:  # reserved for this loan but never left: nothing to bring back
        raise TransitionRefused("The box was reserved for this loan but never checked out; release it instead.")
    return "already"
