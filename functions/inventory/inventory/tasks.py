"""Inventory's Step Functions task handler and scheduled jobs (one Lambda entry).

Count steps arrive from stock_take.asl.json as {"step", "org_id", "campaign_id", "run",
"correlation_id", "execution_id", ...}:

    begin_count     the parts (ranges) to compare, checked against the campaign's run → {parts: [{part}]}
    compare_page    one page of expected boxes of a part against the scans → {cursor, page, done}
    sweep_page      one page of scanned barcodes: the unexpected ones → {cursor, page, done}
    finish_count    the campaign becomes `counted` (idempotent)
    fail_count      compensation: the campaign opens again with `last_error`

A step raises to fail: the exception's class name becomes the Step Functions error name, so
`TransientError` (a busy table) is retried while `CountSuperseded` fails fast.
Jobs arrive as {"job": name}: `open_due_campaigns` (the schedule).
"""
from __future__ import annotations

from typing import Any, Callable

from shared.observability import logger, metrics, set_correlation_id, tracer
from shared.problems import ServiceUnavailable

from . import logic

STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "begin_count": lambda e: logic.begin_count(e["org_id"], e["campaign_id"], e["run"]),
    "compare_page": lambda e: logic.compare_page(e["org_id"], e["campaign_id"], e["run"], e["part"],
                                                 e.get("cursor"), e.get("page", 0)),
    "sweep_page": lambda e: logic.sweep_page(e["org_id"], e["campaign_id"], e["run"], e.get("cursor"),
                                             e.get("page", 0)),
    "finish_count": lambda e: logic.finish_count(e["org_id"], e["campaign_id"], e["run"], e.get("execution_id")),
    "fail_count": lambda e: logic.fail_count(e["org_id"], e["campaign_id"], e["run"], e.get("error")),
}

JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "open_due_campaigns": lambda event: logic.open_due_campaigns(event.get("today")),
}


class UnknownTask(Exception):
    """The event names no step or job of this function."""


class InvalidTaskInput(Exception):
    """The step's input lacks what it needs (a bug in the state machine, not worth retrying)."""


class TransientError(Exception):
    """Worth retrying (the state machine retries this error name)."""


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    set_correlation_id(event.get("correlation_id"))
    if "job" in event:
        job = JOBS.get(event["job"])
        if job is None:
            raise UnknownTask(f"no job {event['job']!r}")
        result = job(event)
        logger.info("job done", extra={"job": event["job"], "result": result})
        return result
    step = STEPS.get(event.get("step", ""))
    if step is None:
        raise UnknownTask(f"no step {event.get('step')!r}")
    missing = [n for n in ("org_id", "campaign_id") if not isinstance(event.get(n), str) or not event.get(n)]
    if missing or not isinstance(event.get("run"), int):
        raise InvalidTaskInput(f"{event['step']} needs org_id, campaign_id and run")
    logger.append_keys(step=event["step"], execution_id=event.get("execution_id"), campaign_id=event["campaign_id"])
    try:
        return step(event)
    except ServiceUnavailable as exc:
        raise TransientError(str(exc)) from exc
