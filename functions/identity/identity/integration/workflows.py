"""Starting identity's saga (Step Functions). Execution names make starts idempotent."""
from __future__ import annotations

from functools import lru_cache
import json
import os
import time

from botocore.exceptions import ClientError

from ..domain.model import User


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most first calls need no stepfunctions client, and boto3 is a cold-start cost

    return boto3.client("stepfunctions")


def provisioning_execution_name(user: User) -> str:
    return f"provision-{user.id}"


def _machine_arn() -> str:
    return os.environ["PROVISION_USER_STATE_MACHINE_ARN"]


def start_provisioning(user: User, correlation_id: str | None, name: str | None = None) -> bool:
    """Start the provisioning saga for a user; False if an execution of that name exists already."""
    payload = {"user": {"id": user.id, "org_id": user.org_id, "email": user.email, "roles": list(user.roles)},
               "correlation_id": correlation_id}
    try:
        _client().start_execution(stateMachineArn=_machine_arn(), name=name or provisioning_execution_name(user),
                                  input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise


def ensure_provisioning(user: User, correlation_id: str | None) -> bool:
    """For a user still 'provisioning': start the saga, or start it again if its execution ended
    without settling the profile (e.g. a compensation gave up). False while one is running."""
    if start_provisioning(user, correlation_id):
        return True
    execution_arn = _machine_arn().replace(":stateMachine:", ":execution:") + ":" + provisioning_execution_name(user)
    status = _client().describe_execution(executionArn=execution_arn)["status"]
    if status == "RUNNING":
        return False
    return start_provisioning(user, correlation_id, name=f"{provisioning_execution_name(user)}-{int(time.time())}")
