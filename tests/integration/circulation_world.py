"""Shared set-up of the circulation tests: circulation's and stacks' real handlers on moto.

The check-out and return state machines are built from template.yaml and their ASL files
and really execute (moto); their lambda:invoke calls are answered by circulation's and
stacks' real task handlers through the LambdaRouter, where a test may inject a fault at
any step. Stacks' box events reach circulation as the bus and queue deliver them: the
outbox envelopes, wrapped as EventBridge events in SQS records, through the consumer.

TABLE_NAME is unset: in one process every capability then uses the table named after it
(in AWS and `make run` each function has its own TABLE_NAME).
"""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any, Callable

import pytest

from tests.integration.stacks_world import MANAGER as STACK_MANAGER, ORG, OTHER_ORG, Stacks, _serialise_moto_writes
from tests.support.events import FakeLambdaContext, call_api, claims
from tests.support.worlds import wait_for_execution

MANAGER = claims("u-manager", ORG, ["stack_manager"])
REQUESTER = claims("u-reader", ORG, ["requester"])
OTHER_REQUESTER = claims("u-reader-2", ORG, ["requester"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
OTHER_MANAGER = claims("u-beta-manager", OTHER_ORG, ["stack_manager", "admin"])


def day(offset: int = 0) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def request_body(box_id: str, purpose: str = "reading", kind: str = "reading_room", **extra) -> dict[str, Any]:
    return {"box_id": box_id, "purpose": purpose, "destination": {"kind": kind, "name": "Reading room 1"},
            "period": {"from": day(1), "until": day(7)}, **extra}


class Faults:
    """Per step name: exceptions to raise instead of running the step (consumed in order)."""

    def __init__(self) -> None:
        self.plan: dict[str, list[Exception]] = {}

    def fail(self, step: str, error: Exception, times: int = 1) -> None:
        self.plan.setdefault(step, []).extend([error] * times)

    def wrap(self, handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
        def run(event: dict, context: Any) -> Any:
            queue = self.plan.get(event.get("step", ""))
            if queue:
                raise queue.pop(0)
            return handler(event, context)
        return run


class InjectedFailure(Exception):
    """A business failure the saga must not retry (goes straight to compensation)."""


class TransientError(Exception):
    """Same name as the capabilities' transient error: the saga retries it."""


class Circulation:
    def __init__(self, aws, stacks: Stacks, faults: Faults) -> None:
        self.aws, self.stacks, self.faults = aws, stacks, faults
        self._forwarded: set[str] = set()
        self._earlier = {m: {e["executionArn"] for e in self._all_executions(m)} for m in ("check-out", "return")}

    # ------------------------------------------------------------------ calls
    def call(self, method: str, resource: str, *, who: dict[str, str] | None = MANAGER, **kwargs: Any):
        """(status, body, headers) of the circulation handler called as API Gateway calls it."""
        from circulation.app import handler
        return call_api(handler, method, resource, who=who, **kwargs)

    def ok(self, *args, expect: int = 200, **kwargs):
        status, body, _ = self.call(*args, **kwargs)
        assert status == expect, (status, body)
        return body

    def action(self, request: dict, verb: str, who=MANAGER, body: Any = None, expect: int = 200,
               headers: dict[str, str] | None = None):
        return self.call("POST", f"/circulation/requests/{{request_id}}/{verb}", path={"request_id": request["id"]},
                         who=who, body=body, headers={"If-Match": f'"{request["version"]}"', **(headers or {})})

    def do(self, request: dict, verb: str, who=MANAGER, body: Any = None, expect: int = 200) -> dict:
        status, out, _ = self.action(request, verb, who=who, body=body)
        assert status == expect, (status, out)
        return out

    def get(self, request_id: str, who=MANAGER) -> dict:
        return self.ok("GET", "/circulation/requests/{request_id}", path={"request_id": request_id}, who=who)

    def create(self, box_id: str, who=REQUESTER, expect: int = 201, **extra) -> dict:
        return self.ok("POST", "/circulation/requests", body=request_body(box_id, **extra), who=who, expect=expect)

    # ---------------------------------------------------------- stacks → here
    def sync_boxes(self) -> int:
        """Deliver stacks' new box events to circulation's consumer (what bus + queue do)."""
        from circulation.consumer import handler
        events = [e for e in self.stacks.outbox() if e["id"] not in self._forwarded and e["type"].startswith("Box")]
        if not events:
            return 0
        records = [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:circulation", "attributes": {},
                    "body": json.dumps({"version": "0", "id": str(uuid.uuid4()), "source": "records.stacks",
                                        "detail-type": e["type"], "detail": e})} for e in events]
        for start in range(0, len(records), 100):  # the template's BatchSize
            result = handler({"Records": records[start:start + 100]}, FakeLambdaContext())
            assert result == {"batchItemFailures": []}, result
        self._forwarded |= {e["id"] for e in events}
        return len(events)

    def shelved_box(self, barcode: str, profile_id: str, shelf: str = "R01-01-01-1", **extra) -> dict:
        box = self.stacks.box(barcode, profile_id, who=STACK_MANAGER, **extra)
        status, body, _ = self.stacks.place(box, shelf, who=STACK_MANAGER)
        assert status == 200, body
        self.sync_boxes()
        return body["box"]

    # ------------------------------------------------------------------ sagas
    def executions(self, machine: str) -> list[dict[str, Any]]:
        """The machine's executions started since this world was made (earlier tests' runs stay in moto)."""
        return [e for e in self._all_executions(machine) if e["executionArn"] not in self._earlier[machine]]

    def _all_executions(self, machine: str) -> list[dict[str, Any]]:
        return self.aws.executions(self.aws.machine_arns[machine])

    def wait(self, machine: str, name: str, deadline_s: float = 60.0) -> dict[str, Any]:
        """Poll one execution to its end (synchronisation with a deadline, not a sleep)."""
        return wait_for_execution(self.aws, machine, name, deadline_s)

    def check_out(self, request: dict, who=MANAGER) -> tuple[dict, dict]:
        """POST check-out (202), wait for the saga; (the request after it, the execution)."""
        started = self.do(request, "check-out", who=who, expect=202)
        run = self.wait("check-out", f"checkout-{started['loan']['id']}")
        self.sync_boxes()
        return self.get(request["id"]), run

    def give_back(self, request: dict, condition: str = "good", note: str | None = None) -> tuple[dict, dict]:
        body = {"condition": condition} | ({"condition_note": note} if note else {})
        started = self.do(request, "return", body=body, expect=202)
        from circulation.integration.workflows import return_execution_name
        run = self.wait("return", return_execution_name(started["loan"]["id"], started["loan"]["return_started_at"]))
        self.sync_boxes()
        return self.get(request["id"]), run

    def states_entered(self, run: dict) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.aws.history(run["executionArn"])
                if "stateEnteredEventDetails" in e]

    # ------------------------------------------------------------------ reads
    def items(self) -> list[dict]:
        client, found, start = self.aws.ddb, [], None
        while True:
            page = client.scan(TableName="circulation", **({"ExclusiveStartKey": start} if start else {}))
            found += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def events(self, type_: str | None = None) -> list[dict]:
        found = [json.loads(i["envelope"]["S"]) for i in self.items() if i["pk"]["S"].startswith("OUTBOX#")]
        return sorted((e for e in found if type_ in (None, e["type"])), key=lambda e: e["occurred_at"])

    def snapshot(self) -> list[tuple[str, str]]:
        return sorted((i["pk"]["S"], i["sk"]["S"]) for i in self.items()
                      if not i["pk"]["S"].startswith("IDEMPOTENCY#"))


@pytest.fixture
def circulation(aws, monkeypatch) -> Circulation:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    _serialise_moto_writes(monkeypatch)
    monkeypatch.setenv("CHECK_OUT_STATE_MACHINE_ARN", aws.machine_arns["check-out"])
    monkeypatch.setenv("RETURN_STATE_MACHINE_ARN", aws.machine_arns["return"])
    from circulation import tasks as circulation_tasks
    from circulation.integration import workflows
    from stacks import tasks as stacks_tasks
    workflows._client.cache_clear()
    faults = Faults()
    aws.router.handlers["CirculationTasksFunction"] = faults.wrap(circulation_tasks.handler)
    aws.router.handlers["StacksTasksFunction"] = faults.wrap(stacks_tasks.handler)
    yield Circulation(aws, Stacks(aws), faults)
    aws.wait_until_idle(deadline_s=120)
    workflows._client.cache_clear()


@pytest.fixture
def shelves(circulation) -> dict[str, Any]:
    """R01 with one range (2 sections × 3 shelves) and a box profile, made through stacks' API."""
    stacks = circulation.stacks
    stacks.repository("R01", who=STACK_MANAGER)
    shelf_profile = stacks.shelf_profile(who=STACK_MANAGER)
    box_profile = stacks.box_profile(who=STACK_MANAGER)
    stacks.range_("R01", 1, shelf_profile["id"], who=STACK_MANAGER)
    return {"box_profile": box_profile["id"]}
