"""Stacks' Step Functions task handler: the box steps of circulation's, disposal's and transfer's sagas.

Every step arrives as {"step", ..., "execution_id", "correlation_id"} with the keys it declares in
REQUIRED (shared.tasks refuses an event without them: `InvalidTaskInput`). Business rejections
fail fast with their names (`BoxNotAvailable`, `BoxNotFound`, `TransferCancelled`,
`BoxesNotReceivable`); a box that kept changing (shared.tasks' `StepContended`) is transient.

Check-out and return (circulation), each idempotent on the loan id (logic/saga.py):
    reserve_box    shelved → reserved for the loan (exactly one of any concurrent attempts wins)
    release_box    compensation of reserve_box; tolerates "already released / never reserved"
    check_out_box  reserved → checked_out; current location = destination
                   ({"kind": reading_room | conservation_lab | exhibition | scanning_room, "name"})
    return_box     checked_out → shelved; current location = home shelf again

Destruction (disposal), idempotent on the run id (logic/destruction.py):
    destroy_contents     {org_id, run_id, file_ids (≤ 25), executed_by?, supervisor: {name, title?}}:
                         the files leave their boxes; an emptied box is destroyed (irreversible)

Transfer (transfer), idempotent on the transfer id (logic/transfer.py):
    transfer_out_boxes   {org_id, transfer_id, file_ids (≤ 25)}: boxes whose files all go → in_transfer
    cancel_transfer_out  {org_id, transfer_id}: compensation, back to their prior status
    receive_boxes        {receiver_org, sender_org, transfer_id, boxes}: registered at the receiver
    unreceive_boxes      {receiver_org, transfer_id, sender_org?, org_id?}: compensation, removes what
                         receive_boxes registered (org_id, the sender, is accepted and not needed)
    release_boxes        {org_id, transfer_id, receiver_org?, box_ids?}: irreversible, last: → transferred
                         (only box_ids of the transfer's boxes when given)
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

LOAN = ("org_id", "box_id", "loan_id")
REQUIRED = {
    "reserve_box": LOAN, "release_box": LOAN, "check_out_box": LOAN, "return_box": LOAN,
    "destroy_contents": ("org_id", "run_id", "file_ids", "supervisor"),
    "transfer_out_boxes": ("org_id", "transfer_id", "file_ids"),
    "cancel_transfer_out": ("org_id", "transfer_id"),
    "receive_boxes": ("receiver_org", "sender_org", "transfer_id", "boxes"),
    "unreceive_boxes": ("receiver_org", "transfer_id"),
    "release_boxes": ("org_id", "transfer_id"),
}

STEPS = {
    "reserve_box": lambda e: logic.reserve_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "release_box": lambda e: logic.release_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "check_out_box": lambda e: logic.check_out_box(e["org_id"], e["box_id"], e["loan_id"], e.get("destination") or {},
                                                   e.get("execution_id")),
    "return_box": lambda e: logic.return_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "destroy_contents": lambda e: logic.destroy_contents(e["org_id"], e["run_id"], e["file_ids"], e["supervisor"],
                                                         e.get("executed_by"), e.get("execution_id")),
    "transfer_out_boxes": lambda e: logic.transfer_out_boxes(e["org_id"], e["transfer_id"], e["file_ids"],
                                                             e.get("execution_id")),
    "cancel_transfer_out": lambda e: logic.cancel_transfer_out(e["org_id"], e["transfer_id"], e.get("execution_id")),
    "receive_boxes": lambda e: logic.receive_boxes(e["receiver_org"], e["sender_org"], e["transfer_id"], e["boxes"],
                                                   e.get("execution_id")),
    "unreceive_boxes": lambda e: logic.unreceive_boxes(e["receiver_org"], e["transfer_id"], e.get("sender_org"),
                                                       e.get("execution_id")),
    "release_boxes": lambda e: logic.release_boxes(e["org_id"], e["transfer_id"], e.get("receiver_org"),
                                                   e.get("execution_id"), e.get("box_ids")),
}

LOG_KEYS = ("box_id", "loan_id", "run_id", "transfer_id", "org_id", "receiver_org", "sender_org")

handler = task_handler(steps=STEPS, required=REQUIRED,
                       log_keys=lambda e: {k: e[k] for k in LOG_KEYS if isinstance(e.get(k), str)})
