"""Records' scheduled jobs and saga steps (Lambda entries; see shared.tasks).

Steps of disposal's destruction saga arrive as {"step", "org_id", "run_id", "file_ids" (at most 25), ...}
(logic/destruction.py; the irreversible destroy_files runs in RecordsDestructionFunction, destruction.py):

    mark_for_destruction    closed / under_review → being_destroyed -> {"marked", "refused": [{file_id, reason}]}
    unmark_for_destruction  back to the status before (compensation)  -> {"unmarked"}

Jobs arrive as {"job": name} from their schedules:

    open_due_access_reviews    a review task for every non-public file due for its 5-yearly re-review
    open_after_thirty_years    non-public files (and their items) open 30 years after their production year,
                               unless an extension was recorded
    fixity                     re-read the components whose last check is oldest, within the day's budget
                               (optional "now": an ISO instant to run as of)

Each takes an optional "today" (yyyy-mm-dd) to run as of that day; a repeated run changes nothing twice.

Saga steps arrive as {"step": name, ...} from the transfer state machines (logic/transfers.py, contract B1):
`handler` (RecordsTasksFunction) takes `mark_for_transfer` and `unmark_for_transfer`, which need the table
alone; `transfer_handler` (RecordsTransferFunction, the only records role that writes to the package bucket
and writes or removes component copies) takes `package_files`, `receive_files`, `unreceive_files` and
`release_files`.
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic
from .logic import transfers

JOBS = {
    "open_due_access_reviews": lambda event: logic.open_due_reviews(event.get("today")),
    "open_after_thirty_years": lambda event: logic.open_after_thirty_years(event.get("today")),
    "fixity": lambda event: logic.run_fixity(event.get("now")),
}

STEPS = {
    "mark_for_transfer": transfers.mark_for_transfer,
    "unmark_for_transfer": transfers.unmark_for_transfer,
    "mark_for_destruction": logic.mark_for_destruction,
    "unmark_for_destruction": logic.unmark_for_destruction,
}

TRANSFER_STEPS = {
    "package_files": transfers.package_files,
    "receive_files": transfers.receive_files,
    "unreceive_files": transfers.unreceive_files,
    "release_files": transfers.release_files,
}

handler = task_handler(steps=STEPS, jobs=JOBS,
                       log_keys=lambda e: {"run_id": e.get("run_id"), "transfer_id": e.get("transfer_id")})
transfer_handler = task_handler(steps=TRANSFER_STEPS)
