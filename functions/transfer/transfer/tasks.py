"""Transfer's saga steps and scheduled job (one Lambda entry).

Steps arrive as {"step": name, "org_id": <sender>, "transfer_id", ...} from TransferPackageStateMachine and
TransferAcceptStateMachine; the jobs as {"job": name} from their schedules:

    build_due_lists       the day's due lists (an optional "today", yyyy-mm-dd, runs it as of that day)
    reconcile_transfers   transfers left packaging or accepting with no execution moving them (lost start, failed,
                          timed out, aborted, or running past its bound) get their saga again (logic.reconcile)
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

STEPS = {
    "prepare": logic.prepare, "page": logic.page, "pages": logic.pages, "record_page": logic.record_page,
    "record_entries": logic.record_entries, "finish_bag": logic.finish_bag, "verify_bag": logic.verify_bag,
    "verify_at_intake": logic.verify_at_intake,
    "fail_transfer": logic.fail_transfer, "begin_accept": logic.begin_accept, "page_boxes": logic.page_boxes,
    "record_received": logic.record_received, "finish_accept": logic.finish_accept,
    "finish_rejected": logic.finish_rejected, "accept_failed": logic.accept_failed,
    "finish_export": logic.finish_export,
}
JOBS = {"build_due_lists": lambda event: logic.build_due_lists(event.get("today")),
        "reconcile_transfers": lambda event: logic.reconcile_transfers()}

handler = task_handler(steps=STEPS, jobs=JOBS, required=("org_id", "transfer_id"),
                       log_keys=lambda event: {"transfer_id": event.get("transfer_id")})
