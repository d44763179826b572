"""Inventory's Step Functions task handler and scheduled jobs (one Lambda entry).

Count steps arrive from stock_take.asl.json as {"step", "org_id", "campaign_id", "run",
"correlation_id", "execution_id", ...}:

    begin_count     the parts (ranges) to compare, checked against the campaign's run → {parts: [{part}]}
    compare_page    one page of expected boxes of a part against the scans → {cursor, page, done}
    sweep_page      one page of scanned barcodes: the unexpected ones → {cursor, page, done}
    finish_count    the campaign becomes `counted` (idempotent)
    fail_count      compensation: the campaign opens again with `last_error`

A step raises to fail: the exception's class name becomes the Step Functions error name, so
`TransientError` (a busy table, see shared.tasks) is retried while `CountSuperseded` fails fast.
Jobs arrive as {"job": name}: `open_due_campaigns` (the schedule).
"""
from __future__ import annotations

from shared.tasks import InvalidTaskInput, task_handler

from . import logic

STEPS = {
    "begin_count": lambda e: logic.begin_count(e["org_id"], e["campaign_id"], e["run"]),
    "compare_page": lambda e: logic.compare_page(e["org_id"], e["campaign_id"], e["run"], e["part"],
                                                 e.get("cursor"), e.get("page", 0)),
    "sweep_page": lambda e: logic.sweep_page(e["org_id"], e["campaign_id"], e["run"], e.get("cursor"),
                                             e.get("page", 0)),
    "finish_count": lambda e: logic.finish_count(e["org_id"], e["campaign_id"], e["run"], e.get("execution_id")),
    "fail_count": lambda e: logic.fail_count(e["org_id"], e["campaign_id"], e["run"], e.get("error")),
}

JOBS = {
    "open_due_campaigns": lambda event: logic.open_due_campaigns(event.get("today")),
}


def _with_run(step):
    """Count steps also need the campaign's run number (an int: which count this is)."""
    def run(event):
        if not isinstance(event.get("run"), int):
            raise InvalidTaskInput(f"{event['step']} needs org_id, campaign_id and run")
        return step(event)
    return run


handler = task_handler(steps={name: _with_run(step) for name, step in STEPS.items()}, jobs=JOBS,
                       required=("org_id", "campaign_id"), log_keys=lambda e: {"campaign_id": e["campaign_id"]})
