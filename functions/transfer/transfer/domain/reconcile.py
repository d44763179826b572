"""What the reconcile job does with a transfer a saga should be moving (`packaging`, `accepting`) that has not
changed for a while: plain rules over its saga's current execution, no AWS here.

Why a new execution from the start, never the compensation alone: each saga begins by checking the transfer's
status (`prepare`, `begin_accept`) and every step is idempotent per transfer and page, so a fresh execution
redoes what was done, does what was not, and, if the cause is a refusal, compensates by itself (the package is
undone at the sender: `failed`; an acceptance is undone at the receiver: `awaiting_inspection`). Compensating
alone would be wrong for an acceptance stopped in its release (`ReleaseIncomplete`): past that irreversible
step the only consistent end is forward. So one rule serves both sagas, whatever stopped them.

Each attempt has its own execution name (`workflows`), numbered by the transfer (`package_attempts`,
`accept_attempts`): a start that was lost is started again under the same name (a repeat finds it), an
execution that ended with the transfer still in the saga's status gets the next attempt.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Transfer

SETTLE = timedelta(minutes=10)  # younger transfers may still be starting their execution: not looked at
RUNNING_BOUND = timedelta(hours=6)  # a healthy execution takes minutes (every task times out at 15 minutes)
RUNNING_PER_PAGE = timedelta(minutes=5)  # ... and grows with the pages it iterates
ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")

LEAVE, START, RESTART, STOP = "leave", "start", "restart", "stop"


@dataclass(frozen=True)
class Decision:
    action: str  # leave | start (the current attempt's execution) | restart (the next attempt) | stop
    saga: str  # package | accept
    attempt: int  # the attempt whose execution the action names
    reason: str


def saga_of(transfer: Transfer) -> tuple[str, int] | None:
    """(the saga moving the transfer, its current attempt), or None if no saga should be."""
    if transfer.status == "packaging":
        return "package", transfer.package_attempts
    if transfer.status == "accepting":
        return "accept", transfer.accept_attempts
    return None


def running_bound(page_count: int) -> timedelta:
    """How long an execution may run before it is taken for wedged."""
    return RUNNING_BOUND + RUNNING_PER_PAGE * max(page_count, 0)


def decide(transfer: Transfer, execution_status: str | None, started_at: datetime | None,
           now: datetime) -> Decision | None:
    """What to do with a transfer whose current execution has this status (None: there is none); None if no
    saga should be moving the transfer (it moved on meanwhile)."""
    saga = saga_of(transfer)
    if saga is None:
        return None
    name, attempt = saga
    if execution_status is None:
        return Decision(START, name, attempt, "no execution: its start was lost")
    if execution_status == "RUNNING":
        if started_at is not None and now - started_at > running_bound(transfer.page_count):
            # stopped now, restarted by a later run once the step it had in flight has ended (≤ 15 minutes)
            return Decision(STOP, name, attempt, f"running since {started_at.isoformat()}, past its bound")
        return Decision(LEAVE, name, attempt, "running")
    return Decision(RESTART, name, attempt + 1,
                    f"execution {execution_status} with the transfer still {transfer.status}")
