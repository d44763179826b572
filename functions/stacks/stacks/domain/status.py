"""Box statuses and the moves between them.

    unplaced ──place──▶ shelved ──reserve(loan)──▶ reserved ──check out(loan)──▶ checked_out
        ▲   ◀──remove──   │  ▲   ◀──release(loan)──    │                            │
        │                 │  └───────────────return(loan)───────────────────────────┘
        │                 ├──report missing──▶ missing ──found / re-placed──▶ shelved
        └──(no home)──────┴──start transfer──▶ in_transfer ──cancel──▶ shelved | unplaced
                                                   │
                           transfer saga: release ─┴─▶ transferred (final)
    any status ──destruction saga: last files destroyed──▶ destroyed (final)

Staff move boxes between unplaced, shelved, missing and in_transfer; only the check-out
saga (circulation) reserves, releases, checks out and returns, each step keyed by its
loan id. The data layer turns each allowed move into a conditional write on the status
read here, so two concurrent moves never both succeed.

The destruction saga (disposal) empties boxes of destroyed files; a box left empty is
`destroyed`: off its shelf for good, readable with its history, never changed again. The
transfer saga (transfer) owns the boxes it moves (`Box.transfer` names the transfer): the
sender's leave (`in_transfer`, then `transferred`, final, or back to their prior status when
the transfer is cancelled); the receiver's arrive `in_transfer` with no home and are placed
with the ordinary placement routes, which makes them `shelved` like any other box. Staff
cannot change by hand a box a transfer owns, nor a final one.
"""
from __future__ import annotations

STATUSES = ("unplaced", "shelved", "reserved", "checked_out", "missing", "in_transfer", "destroyed", "transferred")
FINAL = ("destroyed", "transferred")
PLACEABLE = ("unplaced", "shelved", "missing")  # PUT placement: place, move, or re-shelve a found box
REMOVABLE = ("shelved", "missing", "in_transfer")  # DELETE placement frees the home shelf
MANUAL_TARGETS = ("missing", "in_transfer", "shelved", "unplaced")
TRANSFERABLE = ("shelved", "unplaced")  # a box on loan, missing or already leaving stays where it is


class TransitionRefused(Exception):
    """The box's status does not allow this."""


def check_editable(status: str) -> None:
    """A destroyed or transferred box stays as it ended: readable, never changed."""
    if status in FINAL:
        raise TransitionRefused(f"The box was {status}; it can no longer be changed.")


def check_place(status: str, arriving: bool = False) -> None:
    """`arriving`: the box came in a transfer and waits, unplaced, for its first shelf here."""
    check_editable(status)
    if status == "in_transfer" and arriving:
        return
    if status not in PLACEABLE:
        raise TransitionRefused(f"A {status} box cannot be placed or moved; it must be back on its shelf first.")


def check_remove(status: str, has_home: bool, leaving: bool = False) -> None:
    """`leaving`: a transfer holds the box (its release frees the shelf)."""
    check_editable(status)
    if leaving:
        raise TransitionRefused("A transfer holds the box; it leaves its shelf when the transfer is accepted.")
    if not has_home or status not in REMOVABLE:
        raise TransitionRefused(f"A {status} box has no shelf to be removed from." if not has_home else
                                f"A {status} box cannot be taken off the shelves now.")


def check_manual(current: str, target: str, has_home: bool, in_transfer_saga: bool = False) -> None:
    """Status changes staff make by hand (everything the sagas do not own)."""
    check_editable(current)
    if in_transfer_saga:
        raise TransitionRefused("A transfer holds the box; its status follows the transfer.")
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


# ------------------------------------------------------- destruction and transfer
def destroy_contents(files: tuple[str, ...], destroyed: set[str] | frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(the files leaving the box, the files it keeps, whether it is now empty and so destroyed)."""
    leaving = tuple(f for f in files if f in destroyed)
    kept = tuple(f for f in files if f not in destroyed)
    return leaving, kept, bool(leaving) and not kept


def transfer_out(status: str, transfer: dict | None, transfer_id: str, files: tuple[str, ...],
                 in_transfer: set[str] | frozenset[str]) -> str:
    """What a transfer does with a box holding some of its files: "already" (this transfer holds
    it), "apply" (all its files go: the box goes too), or the reason it stays ("kept")."""
    if transfer is not None and transfer.get("id") == transfer_id:
        return "already"
    if any(f not in in_transfer for f in files):
        return "holds-other-files"
    if status not in TRANSFERABLE or transfer is not None:
        return f"box-{status}"
    return "apply"


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
