"""Starting identity's saga (Step Functions). Execution names make starts idempotent."""
from __future__ import annotations

from functools import lru_cache
import json
import os

import boto3
from botocore.exceptions import ClientError

from ..domain.model import User


@lru_cache(maxsize=1)
def _client():
    return boto3.client("stepfunctions")


def provisioning_execution_name(user: User) -> str:
    return f"provision-{user.id}"


def start_provisioning(user: User, correlation_id: str | None) -> bool:
    """Start the provisioning saga for a user; False if it was started before (same name)."""
    payload = {"user": {"id": user.id, "org_id": user.org_id, "email": user.email, "roles": list(user.roles)},
               "correlation_id": correlation_id}
    try:
        _client().start_execution(stateMachineArn=os.environ["PROVISION_USER_STATE_MACHINE_ARN"],
                                  name=provisioning_execution_name(user), input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise
