"""Starting, stopping and finding the destruction saga's executions (Step Functions).

The execution of a run is named after the run (its id), so a repeated start finds it; a cancellation
during the grace window stops it and starts `<run id>-cancel`, which goes straight to the compensation;
a restart by the reconcile job adds a suffix (`<run id>-r<time>`).
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: a read of a run never needs a Step Functions client

    return boto3.client("stepfunctions")


def _machine() -> str:
    return os.environ["DESTRUCTION_STATE_MACHINE_ARN"]


def saga_input(org_id: str, run_id: str, page_count: int, correlation_id: str | None,
               cancel: bool = False) -> dict[str, Any]:
    """What the state machine starts from: the run and the numbers of its pages (never its files)."""
    return {"run": {"org_id": org_id, "id": run_id}, "pages": list(range(page_count)), "cancel": cancel,
            "correlation_id": correlation_id}


def start(name: str, payload: dict[str, Any]) -> bool:
    """False if an execution of that name exists already (a retry of the same start)."""
    try:
        _client().start_execution(stateMachineArn=_machine(), name=name, input=json.dumps(payload))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise


def stop(name: str, cause: str) -> bool:
    """Stop a running execution of that name; False if none runs."""
    arn = _machine().replace(":stateMachine:", ":execution:") + ":" + name
    try:
        _client().stop_execution(executionArn=arn, error="DestructionRunCancelled", cause=cause[:200])
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
            return False
        raise


def running_names() -> set[str]:
    """Names of the machine's running executions."""
    names: set[str] = set()
    for listed in _client().get_paginator("list_executions").paginate(stateMachineArn=_machine(),
                                                                      statusFilter="RUNNING"):
        names |= {e["name"] for e in listed["executions"]}
    return names
