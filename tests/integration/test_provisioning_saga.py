"""The provisioning saga: real ASL in moto, real step handlers, a fault injected at each step."""
from __future__ import annotations

import pytest

from tests.integration.test_identity_api import add_user, call, create_org, admin_of
from tests.support.events import FakeLambdaContext, api_event

FORWARD_STEPS = ["create_idp_user", "assign_roles", "activate_profile"]


def account_exists(aws, user_id):
    try:
        aws.idp.admin_get_user(UserPoolId=aws.pool_id, Username=user_id)
        return True
    except aws.idp.exceptions.UserNotFoundException:
        return False


def steps_run(aws):
    return [c["step"] for c in aws.router.calls]


def test_success_creates_the_account_with_groups_and_activates_the_profile(aws):
    create_org()
    user = add_user("org-alpha", "kim@example.org", roles=["archivist", "auditor"])[1]
    execution = aws.wait_for_execution(f"provision-{user['id']}")
    assert execution["status"] == "SUCCEEDED"
    assert steps_run(aws) == FORWARD_STEPS
    account = aws.idp.admin_get_user(UserPoolId=aws.pool_id, Username=user["id"])
    attrs = {a["Name"]: a["Value"] for a in account["UserAttributes"]}
    assert attrs["custom:org_id"] == "org-alpha" and attrs["email"] == "kim@example.org"
    groups = aws.idp.admin_list_groups_for_user(UserPoolId=aws.pool_id, Username=user["id"])["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["archivist", "auditor"]
    events = [e["type"] for e in aws.history(execution["executionArn"])]
    assert events[-1] == "ExecutionSucceeded"


@pytest.mark.parametrize("failing_step", FORWARD_STEPS)
def test_a_failure_at_any_step_removes_the_account_and_marks_the_profile_failed(aws, failing_step):
    create_org()
    real = aws.router.handlers["IdentityTasksFunction"]

    def faulty(event, context):
        if event.get("step") == failing_step:
            raise RuntimeError(f"injected fault at {failing_step}")
        return real(event, context)

    aws.router.handlers["IdentityTasksFunction"] = faulty
    user = add_user("org-alpha", "kim@example.org")[1]
    execution = aws.wait_for_execution(f"provision-{user['id']}")

    assert execution["status"] == "FAILED"
    ran = steps_run(aws)
    assert ran[-2:] == ["mark_profile_failed", "remove_idp_user"]
    assert ran[:-2] == FORWARD_STEPS[:FORWARD_STEPS.index(failing_step) + 1]  # a business fault is not retried
    assert not account_exists(aws, user["id"])
    stored = call(api_event("GET", "/organisations/{org_id}/users/{user_id}", claims=admin_of("org-alpha"),
                            path_params={"org_id": "org-alpha", "user_id": user["id"]}))[1]
    assert stored["status"] == "failed" and stored["failure"] == "RuntimeError"
    # The e-mail claim is released, so the address can be registered again.
    again = add_user("org-alpha", "kim@example.org")
    assert again[0] == 202 and again[1]["id"] != user["id"]


def test_transient_errors_are_retried_then_succeed(aws):
    create_org()
    real = aws.router.handlers["IdentityTasksFunction"]
    failures = {"assign_roles": 1}

    def flaky(event, context):
        if failures.get(event.get("step"), 0) > 0:
            failures[event["step"]] -= 1
            from identity.integration.idp import TransientError
            raise TransientError("throttled")
        return real(event, context)

    aws.router.handlers["IdentityTasksFunction"] = flaky
    user = add_user("org-alpha", "kim@example.org")[1]
    execution = aws.wait_for_execution(f"provision-{user['id']}")
    assert execution["status"] == "SUCCEEDED"
    assert steps_run(aws) == ["create_idp_user", "assign_roles", "assign_roles", "activate_profile"]


def test_an_activation_whose_answer_was_lost_is_not_undone(aws):
    """ActivateProfile commits, then its invocation fails: the account must survive."""
    create_org()
    real = aws.router.handlers["IdentityTasksFunction"]

    def lost_answer(event, context):
        result = real(event, context)
        if event.get("step") == "activate_profile":
            raise TimeoutError("the answer never reached Step Functions")
        return result

    aws.router.handlers["IdentityTasksFunction"] = lost_answer
    user = add_user("org-alpha", "kim@example.org")[1]
    execution = aws.wait_for_execution(f"provision-{user['id']}")
    assert execution["status"] == "SUCCEEDED"
    assert steps_run(aws) == FORWARD_STEPS + ["mark_profile_failed"]
    assert account_exists(aws, user["id"])
    stored = call(api_event("GET", "/organisations/{org_id}/users/{user_id}", claims=admin_of("org-alpha"),
                            path_params={"org_id": "org-alpha", "user_id": user["id"]}))[1]
    assert stored["status"] == "active"


def test_compensations_tolerate_nothing_to_undo(aws):
    from identity import logic
    create_org()
    user = add_user("org-alpha", "kim@example.org")[1]
    aws.wait_for_execution(f"provision-{user['id']}")
    data = {"id": user["id"], "org_id": "org-alpha", "email": user["email"], "roles": user["roles"]}
    assert logic.step_remove_account(data) == {"account_removed": True}
    assert logic.step_remove_account(data) == {"account_removed": False}
    # An active profile is not ours to fail: the compensation leaves it alone.
    assert logic.step_mark_failed(data, {"Error": "X"})["status"] == "active"


def test_steps_are_idempotent_when_replayed(aws):
    from identity import logic
    create_org()
    user = add_user("org-alpha", "kim@example.org")[1]
    aws.wait_for_execution(f"provision-{user['id']}")
    data = {"id": user["id"], "org_id": "org-alpha", "email": user["email"], "roles": user["roles"]}
    assert logic.step_create_account(data) == {"account_created": False}
    assert logic.step_activate_profile(data) == {"status": "active", "already": True}


def test_reconcile_job_restarts_provisioning_that_never_started(aws, monkeypatch):
    from datetime import datetime, timedelta, timezone
    from identity import logic, tasks
    from identity.integration import workflows
    create_org()
    with monkeypatch.context() as patched:  # the saga cannot be started: Step Functions is down
        patched.setattr(workflows, "start_provisioning", lambda user, cid: (_ for _ in ()).throw(RuntimeError("down")))
        user = add_user("org-alpha", "kim@example.org")[1]
    assert user["status"] == "provisioning"
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    assert logic.reconcile_identity_provider(now=later) == {"stuck": 1, "restarted": 1, "unsynced": 0, "synced": 0}
    assert aws.wait_for_execution(f"provision-{user['id']}")["status"] == "SUCCEEDED"
    # The scheduled entry point runs the same job; nothing is stuck any more.
    assert tasks.handler({"job": "reconcile_provisioning"}, FakeLambdaContext()) == {
        "stuck": 0, "restarted": 0, "unsynced": 0, "synced": 0}
