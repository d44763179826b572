"""Starting circulation's sagas (Step Functions). Execution names make starts idempotent.

Check-out: `checkout-<loan id>`; each attempt has its own loan id, so each attempt its own
name. Return: `return-<loan id>-<8 hex of when the return started>`: a return that failed
(the loan reopened) can be started again under a new name, while a retry of the same start
finds its execution. A restart by the reconcile job adds a suffix.
"""
from __future__ import annotations

from functools import lru_cache
import hashlib
import json
import os
from typing import Any

from botocore.exceptions import ClientError

from ..domain.model import Request


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most first calls need no stepfunctions client, and boto3 is a cold-start cost

    return boto3.client("stepfunctions")


def check_out_name(request: Request) -> str:
    return f"checkout-{request.loan_id}"


def return_name(request: Request) -> str:
    return return_execution_name(request.loan_id or "", request.return_started_at or "")


def return_execution_name(loan_id: str, return_started_at: str) -> str:
    return f"return-{loan_id}-{hashlib.sha256(return_started_at.encode()).hexdigest()[:8]}"


def _machine(kind: str) -> str:
    return os.environ["CHECK_OUT_STATE_MACHINE_ARN" if kind == "checkout" else "RETURN_STATE_MACHINE_ARN"]


def saga_input(request: Request, correlation_id: str | None) -> dict[str, Any]:
    return {"loan": request.saga_loan(), "correlation_id": correlation_id}


def _start(kind: str, name: str, request: Request, correlation_id: str | None) -> bool:
    try:
        _client().start_execution(stateMachineArn=_machine(kind), name=name,
                                  input=json.dumps(saga_input(request, correlation_id)))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise


def start_check_out(request: Request, correlation_id: str | None, name: str | None = None) -> bool:
    """False if an execution of that name exists already (a retry of the same attempt)."""
    return _start("checkout", name or check_out_name(request), request, correlation_id)


def start_return(request: Request, correlation_id: str | None, name: str | None = None) -> bool:
    return _start("return", name or return_name(request), request, correlation_id)


def running(kind: str, name: str) -> bool:
    """Is the execution of that name still running? (False if it never started or has ended.)"""
    arn = _machine(kind).replace(":stateMachine:", ":execution:") + ":" + name
    try:
        return _client().describe_execution(executionArn=arn)["status"] == "RUNNING"
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return False
        raise
