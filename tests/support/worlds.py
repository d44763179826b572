"""What every capability's integration world does the same way: call its handler as API Gateway does,
start from an empty table built from template.yaml, and read the table back (items, a snapshot that a
refused write must leave as it was, the events staged in its outbox)."""
from __future__ import annotations

import importlib
import json
import time
from typing import Any

from tests.support.events import call_api
from tests.support.template import create_table

_DEFAULT: Any = object()


class CapabilityWorld:
    """Subclasses name their `table`, their `app` module and the `caller` their calls default to."""

    table: str
    app: str
    caller: dict[str, str] | None = None

    def __init__(self, aws) -> None:
        self.aws = aws

    def call(self, method: str, resource: str, *, who: dict[str, str] | None = _DEFAULT, **kwargs: Any):
        """(status, body, headers) of the capability's handler called as API Gateway calls it."""
        handler = importlib.import_module(self.app).handler
        return call_api(handler, method, resource, who=self.caller if who is _DEFAULT else who, **kwargs)

    def ok(self, *args, expect: int = 200, **kwargs):
        status, body, _ = self.call(*args, **kwargs)
        assert status == expect, (status, body)
        return body

    def items(self) -> list[dict]:
        client, found, start = self.aws.ddb, [], None
        while True:
            page = client.scan(TableName=self.table, **({"ExclusiveStartKey": start} if start else {}))
            found += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def snapshot(self) -> list[str]:
        """Every item but idempotency records, whole (what a refused write must leave as it was)."""
        return sorted(json.dumps(i, sort_keys=True) for i in self.items() if not i["pk"]["S"].startswith("IDEMPOTENCY#"))

    def keys(self) -> list[tuple[str, str]]:
        """The (pk, sk) of every item but idempotency records (what was written, not how it changed)."""
        return sorted((i["pk"]["S"], i["sk"]["S"]) for i in self.items() if not i["pk"]["S"].startswith("IDEMPOTENCY#"))

    def events(self, type_: str | None = None) -> list[dict]:
        envelopes = [json.loads(i["envelope"]["S"]) for i in self.items() if i["pk"]["S"].startswith("OUTBOX#")]
        return [e for e in envelopes if type_ is None or e["type"] == type_]


def empty_table(aws, monkeypatch, logical_id: str, name: str) -> None:
    """The function's table (TABLE_NAME), empty, as template.yaml declares it."""
    monkeypatch.setenv("TABLE_NAME", name)
    if name in aws.ddb.list_tables()["TableNames"]:
        aws.ddb.delete_table(TableName=name)
    create_table(aws.ddb, logical_id, name)


def wait_for_execution(aws, machine: str, name: str, deadline_s: float = 60.0) -> dict[str, Any]:
    """Poll one execution of a world's state machine to its end (synchronisation with a deadline, not a sleep)."""
    arn = aws.machine_arns[machine].replace(":stateMachine:", ":execution:") + ":" + name
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            run = aws.sfn.describe_execution(executionArn=arn)
        except aws.sfn.exceptions.ExecutionDoesNotExist:
            run = {"status": "RUNNING"}
        if run["status"] != "RUNNING":
            return run
        time.sleep(0.02)
    raise AssertionError(f"{machine} execution {name} did not end within {deadline_s}s")
