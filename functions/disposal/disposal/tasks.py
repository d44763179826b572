"""Disposal's Step Functions task handler and scheduled jobs (one Lambda entry, see shared.tasks).

Jobs arrive as {"job": name} from their schedules:

    build_review_lists    files due for appraisal (not held, in no list) into a list per producing unit
                          (an optional "today", yyyy-mm-dd, runs it as of that day; a repeat lists nothing twice)
    reconcile_runs        destruction runs left half-way (no execution running) get their saga again

The destruction saga's steps (destruction.asl.json) arrive as {"step", "org_id", "run_id", ...,
"correlation_id", "execution_id"}; steps that take files take one page ("page": its number). Each is
idempotent per run. `RunRefused` is a business refusal (straight to the compensation); shared.tasks'
`StepContended` is transient.
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

_saga = logic.destruction

STEPS = {
    "prepare": lambda e: _saga.prepare(e["org_id"], e["run_id"]),
    "page": lambda e: _saga.page(e["org_id"], e["run_id"], int(e["page"]), e["phase"]),
    "record_marks": lambda e: _saga.record_marks(e["org_id"], e["run_id"], int(e["page"]),
                                                 (e.get("marks") or {}).get("marked") or [],
                                                 (e.get("marks") or {}).get("refused") or []),
    "start_grace": lambda e: _saga.start_grace(e["org_id"], e["run_id"]),
    "confirm": lambda e: _saga.confirm(e["org_id"], e["run_id"]),
    "record_destroyed": lambda e: _saga.record_destroyed(
        e["org_id"], e["run_id"], int(e["page"]), (e.get("destroyed") or {}).get("destroyed") or [],
        (e.get("destroyed") or {}).get("skipped") or [], (e.get("contents") or {}).get("boxes") or []),
    "certify": lambda e: _saga.certify(e["org_id"], e["run_id"]),
    "fail_run": lambda e: _saga.fail_run(e["org_id"], e["run_id"], e.get("error")),
}

JOBS = {
    "build_review_lists": lambda event: logic.build_review_lists(event.get("today")),
    "reconcile_runs": lambda event: _saga.reconcile_runs(),
}

handler = task_handler(steps=STEPS, jobs=JOBS, required=("org_id", "run_id"),
                       log_keys=lambda e: {"run_id": e["run_id"], "page": e.get("page")})
