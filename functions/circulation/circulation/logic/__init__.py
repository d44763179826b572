"""Circulation's use cases, as the HTTP layer (app.py), the task handler (tasks.py) and the event
consumer (consumer.py) call them: check the rules, change the table (with the event), drive the sagas.

Functions take the caller and plain data, return domain objects, and know nothing of HTTP.
Box facts come from the local read model (stacks' events), people's roles and organisation
from the token as recorded on the request: no route calls another capability. Each concern
lives in its own module under `logic/`: requests (ask, decide, cancel, start the sagas),
policy, register, queue (the next request in line), saga (the check-out and return steps),
read_model (stacks' box events), bulk (many decisions in one call) and jobs (overdue notices, stuck sagas); common holds the
events and the visible-request guard they share.
"""
from __future__ import annotations

from .bulk import decide_many
from .jobs import detect_overdue, reconcile_sagas
from .policy import get_policy, put_policy
from .queue import promote_next
from .read_model import apply_stacks_events
from .register import export_register, read_register
from .requests import approve, cancel, check_out, create_request, get_request, list_requests, reject, start_return
from .saga import (StepRefused, step_abandon_check_out, step_check_parties, step_close_loan, step_promote_next,
                   step_complete_check_out, step_record_loan, step_record_return, step_reopen_loan)

__all__ = [
    "decide_many", "detect_overdue", "reconcile_sagas", "get_policy", "put_policy", "promote_next", "apply_stacks_events",
    "export_register", "read_register", "approve", "cancel", "check_out", "create_request", "get_request",
    "list_requests", "reject", "start_return", "StepRefused", "step_abandon_check_out", "step_check_parties",
    "step_close_loan", "step_promote_next", "step_complete_check_out", "step_record_loan", "step_record_return", "step_reopen_loan",
]
