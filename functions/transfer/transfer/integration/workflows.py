"""Starting transfer's state machines (Step Functions). Execution names make starts idempotent."""
from __future__ import annotations

from functools import lru_cache
import json
import os
from typing import Any

from botocore.exceptions import ClientError


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most calls need no stepfunctions client

    return boto3.client("stepfunctions")


def package_execution_name(transfer_id: str) -> str:
    return f"package-{transfer_id}"


def accept_execution_name(transfer_id: str, attempt: int) -> str:
    return f"accept-{transfer_id}-{attempt}"


def _start(variable: str, name: str, payload: dict[str, Any]) -> bool:
    """Start an execution; False if one of that name exists already."""
    try:
        _client().start_execution(stateMachineArn=os.environ[variable], name=name, input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise


def start_package(payload: dict[str, Any]) -> bool:
    return _start("TRANSFER_PACKAGE_STATE_MACHINE_ARN", package_execution_name(payload["transfer_id"]), payload)


def start_accept(payload: dict[str, Any], attempt: int) -> bool:
    return _start("TRANSFER_ACCEPT_STATE_MACHINE_ARN", accept_execution_name(payload["transfer_id"], attempt),
                  payload)
