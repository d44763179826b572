"""Starting, finding and stopping transfer's state machines' executions (Step Functions).

Execution names make starts idempotent, one name per attempt: `package-<transfer>` (then `package-<transfer>-<n>`
for the reconcile job's restart n) and `accept-<transfer>-<n>` (n: the transfer's acceptance attempts). A repeated
start of an attempt finds its execution; the reconcile job finds an attempt's execution by its name (no listing).
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
import json
import os
from typing import Any

from botocore.exceptions import ClientError

MACHINES = {"package": "TRANSFER_PACKAGE_STATE_MACHINE_ARN", "accept": "TRANSFER_ACCEPT_STATE_MACHINE_ARN"}


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most calls need no stepfunctions client

    return boto3.client("stepfunctions")


def package_execution_name(transfer_id: str, attempt: int = 0) -> str:
    return f"package-{transfer_id}" + (f"-{attempt}" if attempt else "")


def accept_execution_name(transfer_id: str, attempt: int) -> str:
    return f"accept-{transfer_id}-{attempt}"


def execution_name(saga: str, transfer_id: str, attempt: int) -> str:
    return (package_execution_name if saga == "package" else accept_execution_name)(transfer_id, attempt)


def _execution_arn(saga: str, name: str) -> str:
    return os.environ[MACHINES[saga]].replace(":stateMachine:", ":execution:") + ":" + name


def _start(variable: str, name: str, payload: dict[str, Any]) -> bool:
    """Start an execution; False if one of that name exists already."""
    try:
        _client().start_execution(stateMachineArn=os.environ[variable], name=name, input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise


def start_package(payload: dict[str, Any], attempt: int = 0) -> bool:
    return _start(MACHINES["package"], package_execution_name(payload["transfer_id"], attempt), payload)


def start_accept(payload: dict[str, Any], attempt: int) -> bool:
    return _start(MACHINES["accept"], accept_execution_name(payload["transfer_id"], attempt), payload)


def start(saga: str, payload: dict[str, Any], attempt: int) -> bool:
    return (start_package if saga == "package" else start_accept)(payload, attempt)


def execution(saga: str, name: str) -> tuple[str, datetime] | None:
    """(status, start date) of the execution of that name; None if it never started."""
    try:
        found = _client().describe_execution(executionArn=_execution_arn(saga, name))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return None
        raise
    return found["status"], found["startDate"]


def stop(saga: str, name: str, cause: str) -> bool:
    """Stop the execution of that name; False if it does not run."""
    try:
        _client().stop_execution(executionArn=_execution_arn(saga, name), error="TransferSagaStopped",
                                 cause=cause[:200])
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
            return False
        raise
