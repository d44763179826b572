"""Disposal's scheduled jobs (one Lambda entry); they arrive as {"job": name} from their schedules:

    build_review_lists    files due for appraisal (not held, in no list) into a list per producing unit

Each takes an optional "today" (yyyy-mm-dd) to run as of that day; a repeated run lists nothing twice.
The destruction saga's steps will arrive here too (not built yet).
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

JOBS = {
    "build_review_lists": lambda event: logic.build_review_lists(event.get("today")),
}

handler = task_handler(steps={}, jobs=JOBS)
