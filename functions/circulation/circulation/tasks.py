"""Circulation's Step Functions task handler and scheduled jobs (one Lambda entry, see shared.tasks).

Saga steps arrive as {"step", "loan", "correlation_id", "execution_id", ...} from
check_out.asl.json and return.asl.json; `loan` is {"id", "org_id", "box_id", "request_id",
...}. shared.tasks' `StepContended` (the request kept changing under a step) is transient;
every other error goes to the compensation path at once. Jobs arrive as {"job": name}.
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

STEPS = {
    # check-out saga
    "check_parties": lambda e: logic.step_check_parties(e["loan"]),
    "record_loan": lambda e: logic.step_record_loan(e["loan"]),
    "complete_check_out": lambda e: logic.step_complete_check_out(e["loan"]),
    "abandon_check_out": lambda e: logic.step_abandon_check_out(
        e["loan"], e.get("error"), ((e.get("compensation") or {}).get("release_box") or {}).get("result")),
    # return saga
    "record_return": lambda e: logic.step_record_return(e["loan"]),
    "reopen_loan": lambda e: logic.step_reopen_loan(e["loan"], e.get("error")),
    "close_loan": lambda e: logic.step_close_loan(e["loan"]),
    "promote_next": lambda e: logic.step_promote_next(e["loan"]),
}

JOBS = {
    "detect_overdue": lambda e: logic.detect_overdue(),
    "reconcile_sagas": lambda e: logic.reconcile_sagas(),
}

handler = task_handler(steps=STEPS, jobs=JOBS, required=("loan",),
                       log_keys=lambda e: {"loan_id": e["loan"].get("id"), "request_id": e["loan"].get("request_id")})
