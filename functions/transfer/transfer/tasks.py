"""Transfer's saga steps and scheduled job (one Lambda entry).

Steps arrive as {"step": name, "org_id": <sender>, "transfer_id", ...} from TransferPackageStateMachine and
TransferAcceptStateMachine; the job as {"job": "build_due_lists", "today"?} from its daily schedule.
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
JOBS = {"build_due_lists": lambda event: logic.build_due_lists(event.get("today"))}

handler = task_handler(steps=STEPS, jobs=JOBS, required=("org_id", "transfer_id"),
                       log_keys=lambda event: {"transfer_id": event.get("transfer_id")})
