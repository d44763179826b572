"""Identity's Step Functions task handler and scheduled jobs (one Lambda entry).

Saga steps arrive as {"step", "user", "correlation_id", "execution_id"} from
provision_user.asl.json. A step raises to fail: the exception's class name becomes
the Step Functions error name, so `TransientError` is retried and everything else
goes to the compensation path at once. Jobs arrive as {"job": name, ...}.
"""
from __future__ import annotations

from typing import Any, Callable

from shared.observability import logger, metrics, set_correlation_id, tracer
from shared.problems import ServiceUnavailable

from . import logic
from .integration.idp import TransientError

STEPS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "create_idp_user": lambda user, event: logic.step_create_account(user),
    "assign_roles": lambda user, event: logic.step_assign_roles(user),
    "activate_profile": lambda user, event: logic.step_activate_profile(user),
    "remove_idp_user": lambda user, event: logic.step_remove_account(user),
    "mark_profile_failed": lambda user, event: logic.step_mark_failed(user, event.get("error")),
}

JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # The schedule's input names it; it reconciles provisioning and role/status changes alike.
    "reconcile_provisioning": lambda event: logic.reconcile_identity_provider(),
    "bootstrap": lambda event: logic.bootstrap(event.get("organisations", []), event.get("users", [])),
}


class UnknownTask(Exception):
    """The event names no step or job of this function."""


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
    logger.append_keys(step=event["step"], execution_id=event.get("execution_id"), user_id=event["user"]["id"])
    try:
        return step(event["user"], event)
    except ServiceUnavailable as exc:  # a busy table is transient for the saga
        raise TransientError(str(exc)) from exc
