"""Identity's Step Functions task handler and scheduled jobs (one Lambda entry, see shared.tasks).

Saga steps arrive as {"step", "user", "correlation_id", "execution_id"} from
provision_user.asl.json; jobs as {"job": name, ...}.
"""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

STEPS = {
    "create_idp_user": lambda event: logic.step_create_account(event["user"]),
    "assign_roles": lambda event: logic.step_assign_roles(event["user"]),
    "activate_profile": lambda event: logic.step_activate_profile(event["user"]),
    "remove_idp_user": lambda event: logic.step_remove_account(event["user"]),
    "mark_profile_failed": lambda event: logic.step_mark_failed(event["user"], event.get("error")),
}

JOBS = {
    # The schedule's input names it; it reconciles provisioning and role/status changes alike.
    "reconcile_provisioning": lambda event: logic.reconcile_identity_provider(),
    "bootstrap": lambda event: logic.bootstrap(event.get("organisations", []), event.get("users", [])),
}

handler = task_handler(steps=STEPS, jobs=JOBS, required=("user",), log_keys=lambda event: {"user_id": event["user"].get("id")})
