"""Circulation's Step Functions task handler and scheduled jobs (one Lambda entry).

Saga steps arrive as {"step", "loan", "correlation_id", "execution_id", ...} from
check_out.asl.json and return.asl.json; `loan` is {"id", "org_id", "box_id", "request_id",
...}. A step raises to fail: the exception's class name becomes the Step Functions error
name, so `TransientError` and `StepContended` are retried and everything else goes to the
compensation path at once. Jobs arrive as {"job": name, ...}.
"""
from __future__ import annotations

from typing import Any, Callable

from shared.observability import logger, metrics, set_correlation_id, tracer
from shared.problems import ServiceUnavailable

from . import logic

STEPS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    # check-out saga
    "check_parties": lambda loan, event: logic.step_check_parties(loan),
    "record_loan": lambda loan, event: logic.step_record_loan(loan),
    "abandon_check_out": lambda loan, event: logic.step_abandon_check_out(
        loan, event.get("error"), ((event.get("compensation") or {}).get("release_box") or {}).get("result")),
    # return saga
    "record_return": lambda loan, event: logic.step_record_return(loan),
    "reopen_loan": lambda loan, event: logic.step_reopen_loan(loan, event.get("error")),
    "close_loan": lambda loan, event: logic.step_close_loan(loan),
    "promote_next": lambda loan, event: logic.step_promote_next(loan),
}

JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "detect_overdue": lambda event: logic.detect_overdue(),
    "reconcile_sagas": lambda event: logic.reconcile_sagas(),
}


class UnknownTask(Exception):
    """The event names no step or job of this function."""


class TransientError(Exception):
    """Worth retrying (the sagas retry this error name)."""


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
    loan = event["loan"]
    logger.append_keys(step=event["step"], execution_id=event.get("execution_id"), loan_id=loan.get("id"),
                       request_id=loan.get("request_id"))
    try:
        return step(loan, event)
    except ServiceUnavailable as exc:  # a busy table is transient for the saga
        raise TransientError(str(exc)) from exc
