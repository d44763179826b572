"""Stacks' Step Functions task handler: the steps the check-out saga (circulation) runs.

Steps arrive as {"step", "org_id", "box_id", "loan_id", "execution_id", "correlation_id",
"destination"?}. Each is idempotent on the loan id (see logic/saga.py). `BoxNotAvailable`
and `BoxNotFound` are business rejections for the saga's Catch; a box that kept changing
(shared.tasks' `StepContended`) is transient.

    reserve_box    shelved → reserved for the loan (exactly one of any concurrent attempts wins)
    release_box    compensation of reserve_box; tolerates "already released / never reserved"
    check_out_box  reserved → checked_out; current location = destination
                   ({"kind": reading_room | conservation_lab | exhibition | scanning_room, "name"})
    return_box     checked_out → shelved; current location = home shelf again
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

STEPS = {
    "reserve_box": lambda e: logic.reserve_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "release_box": lambda e: logic.release_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "check_out_box": lambda e: logic.check_out_box(e["org_id"], e["box_id"], e["loan_id"], e.get("destination") or {},
                                                   e.get("execution_id")),
    "return_box": lambda e: logic.return_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
}

handler = task_handler(steps=STEPS, required=("org_id", "box_id", "loan_id"),
                       log_keys=lambda e: {"box_id": e["box_id"], "loan_id": e["loan_id"]})
