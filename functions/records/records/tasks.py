"""Records' saga steps and scheduled jobs (one Lambda entry).

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
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

JOBS = {
    "open_due_access_reviews": lambda event: logic.open_due_reviews(event.get("today")),
    "open_after_thirty_years": lambda event: logic.open_after_thirty_years(event.get("today")),
    "fixity": lambda event: logic.run_fixity(event.get("now")),
}

STEPS = {
    "mark_for_destruction": logic.mark_for_destruction,
    "unmark_for_destruction": logic.unmark_for_destruction,
}

handler = task_handler(steps=STEPS, jobs=JOBS, log_keys=lambda e: {"run_id": e.get("run_id")})
