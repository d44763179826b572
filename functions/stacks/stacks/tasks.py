"""Stacks' Step Functions task handler: the steps the check-out saga (circulation) runs.

Steps arrive as {"step", "org_id", "box_id", "loan_id", "execution_id", "correlation_id",
"destination"?}. Each is idempotent on the loan id (see logic/saga.py). A step raises
to fail: the exception's class name becomes the Step Functions error name, so
`TransientError` (a busy table, a box that kept changing) is worth a Retry, while
`BoxNotAvailable` and `BoxNotFound` are business rejections for the saga's Catch.

    reserve_box    shelved → reserved for the loan (exactly one of any concurrent attempts wins)
    release_box    compensation of reserve_box; tolerates "already released / never reserved"
    check_out_box  reserved → checked_out; current location = destination
                   ({"kind": reading_room | conservation_lab | exhibition | scanning_room, "name"})
    return_box     checked_out → shelved; current location = home shelf again
"""
from __future__ import annotations

from typing import Any, Callable

from shared.observability import logger, metrics, set_correlation_id, tracer
from shared.problems import ServiceUnavailable

from . import logic

STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "reserve_box": lambda e: logic.reserve_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "release_box": lambda e: logic.release_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
    "check_out_box": lambda e: logic.check_out_box(e["org_id"], e["box_id"], e["loan_id"], e.get("destination") or {},
                                                   e.get("execution_id")),
    "return_box": lambda e: logic.return_box(e["org_id"], e["box_id"], e["loan_id"], e.get("execution_id")),
}
REQUIRED = ("org_id", "box_id", "loan_id")


class UnknownTask(Exception):
    """The event names no step of this function."""


class InvalidTaskInput(Exception):
    """The step's input lacks what it needs (a bug in the state machine, not worth retrying)."""


class TransientError(Exception):
    """Worth retrying (the saga retries this error name)."""


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    set_correlation_id(event.get("correlation_id"))
    step = STEPS.get(event.get("step", ""))
    if step is None:
        raise UnknownTask(f"no step {event.get('step')!r}")
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event.get(name)]
    if missing:
        raise InvalidTaskInput(f"{event['step']} needs {', '.join(missing)}")
    logger.append_keys(step=event["step"], execution_id=event.get("execution_id"), box_id=event["box_id"],
                       loan_id=event["loan_id"])
    try:
        result = step(event)
    except (ServiceUnavailable, logic.StepContended) as exc:
        raise TransientError(str(exc)) from exc
    logger.info("step done", extra={"result": result})
    return result
