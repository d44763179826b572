"""One way to answer Step Functions tasks and scheduled jobs (each capability's `tasks.py`).

Saga steps arrive as {"step": name, ...} from the state machines; jobs as {"job": name, ...}
from their schedules. A step raises to fail: the exception's class name is the error name
the state machine sees. `TransientError` is in every saga's Retry list; any other error
goes to the compensation path at once. A busy table (`ServiceUnavailable`), any
`TransientError` subclass (`StepContended`) and the errors a capability names are turned
into `TransientError` here.

`required` names the keys a step's event must carry (None, an empty string or an empty object is
missing; an empty list is a value: a page with nothing left in it): one tuple when every step of the
function takes the same keys, or a mapping of step name → its keys when they differ (a step
not in the mapping needs none). A missing key is `InvalidTaskInput`, before the step runs.

`retrying` is the one loop for a read-decide-write step that lost a race to a concurrent
change (its conditional write refused): it decides again, and after so many lost races
raises `StepContended`, which the saga retries later with backoff.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

from shared.observability import lambda_entry, logger, set_correlation_id
from shared.problems import ServiceUnavailable

Task = Callable[[dict[str, Any]], dict[str, Any]]
T = TypeVar("T")


class UnknownTask(Exception):
    """The event names no step or job of this function (a bug in a state machine or schedule)."""


class InvalidTaskInput(Exception):
    """The step's input lacks what it needs (a bug in the state machine, not worth retrying)."""


class TransientError(Exception):
    """Worth retrying: every saga's Retry names this error."""


class StepContended(TransientError):
    """The item kept changing under a read-decide-write step; worth retrying later."""


def retrying(step: Callable[[], T], *, attempts: int, lost: tuple[type[Exception], ...], contended: str) -> T:
    """Run `step` again each time it raises one of `lost` (a concurrent change got there first)."""
    for _ in range(attempts):
        try:
            return step()
        except lost:
            continue
    raise StepContended(contended)


def task_handler(*, steps: dict[str, Task], jobs: dict[str, Task] | None = None,
                 required: tuple[str, ...] | Mapping[str, tuple[str, ...]] = (),
                 log_keys: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 transient: tuple[type[Exception], ...] = ()) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of a capability's steps and jobs; each task takes the whole event."""
    jobs = jobs or {}
    retryable = (ServiceUnavailable, TransientError, *transient)

    @lambda_entry()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        set_correlation_id(event.get("correlation_id"))
        if "job" in event:
            job = jobs.get(event["job"])
            if job is None:
                raise UnknownTask(f"no job {event['job']!r}")
            result = job(event)
            logger.info("job done", extra={"job": event["job"], "result": result})
            return result
        step = steps.get(event.get("step", ""))
        if step is None:
            raise UnknownTask(f"no step {event.get('step')!r}")
        needs = required.get(event["step"], ()) if isinstance(required, Mapping) else required
        missing = [name for name in needs if event.get(name) in (None, "", {})]
        if missing:
            raise InvalidTaskInput(f"{event['step']} needs {', '.join(missing)}")
        logger.append_keys(step=event["step"], execution_id=event.get("execution_id"),
                           **(log_keys(event) if log_keys else {}))
        try:
            result = step(event)
        except retryable as exc:
            if type(exc) is TransientError:
                raise
            raise TransientError(str(exc)) from exc
        logger.info("step done", extra={"result": result})
        return result

    return handler
