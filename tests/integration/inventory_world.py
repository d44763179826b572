"""Shared set-up of the inventory integration tests: the real handlers against moto.

`inventory` (fixture) points TABLE_NAME at the inventory table and at the stock-take state
machine of the integration world (template.yaml's own ASL, really executed by moto, its
Lambda invokes answered by the real inventory task handler), and makes moto's writes atomic as DynamoDB's
are (the Map state runs pages in parallel threads). Stacks' box events are fed through the
real SQS consumer, in the envelope the outbox relay publishes.
"""
from __future__ import annotations

import json
import time
from typing import Any
import uuid

import pytest

from tests.integration.stacks_world import _serialise_moto_writes
from tests.support.events import FakeLambdaContext, call_api, claims

ORG = "org-alpha"
OTHER_ORG = "org-beta"
MANAGER = claims("u-stacks", ORG, ["stack_manager"])
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
REQUESTER = claims("u-requester", ORG, ["requester"])
OTHER_MANAGER = claims("u-beta-stacks", OTHER_ORG, ["stack_manager", "admin"])
MACHINE = "records-test-stock-take"
MACHINE_ARN = f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"


def box_event(type_: str, box_id: str, barcode: str, version: int, *, home: str | None, status: str = "shelved",
              org_id: str = ORG) -> dict[str, Any]:
    """An envelope as stacks publishes it (payload.box is the box's public form after the change)."""
    box = {"id": box_id, "barcode": barcode, "status": status, "home_location_id": home, "version": version,
           "current_location": {"kind": "shelf", "id": home} if home and status == "shelved" else None}
    payload = box if type_ == "BoxRegistered" else {"box": box}
    return {"id": str(uuid.uuid4()), "type": type_, "source": "records.stacks", "schema_version": 1,
            "subjects": [{"kind": "box", "id": box_id, "org_id": org_id}], "payload": payload,
            "actor": {"user_id": "u-stacks", "org_id": org_id}, "correlation_id": None,
            "occurred_at": "2026-01-01T00:00:00.000Z"}


def repository_event(code: str, org_id: str = ORG, type_: str = "RepositoryCreated") -> dict[str, Any]:
    """An envelope as stacks publishes a repository's creation (payload: the repository's public form)."""
    repository = {"id": code, "kind": "repository", "code": code, "name": f"Repository {code}", "status": "active",
                  "version": 1}
    payload = repository if type_ == "RepositoryCreated" else {"changes": {}, "repository": repository}
    return {"id": str(uuid.uuid4()), "type": type_, "source": "records.stacks", "schema_version": 1,
            "subjects": [{"kind": "repository", "id": code, "org_id": org_id}], "payload": payload,
            "actor": {"user_id": "u-stacks", "org_id": org_id}, "correlation_id": None,
            "occurred_at": "2026-01-01T00:00:00.000Z"}


def sqs_event(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """What Lambda receives from the InventoryQueue: EventBridge events, the envelope as detail."""
    return {"Records": [{
        "messageId": f"m-{i}", "receiptHandle": f"r-{i}", "md5OfBody": "x", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inventory", "awsRegion": "us-east-1",
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "body": json.dumps({"version": "0", "id": env["id"], "detail-type": env["type"], "source": env["source"],
                            "account": "123456789012", "time": env["occurred_at"], "region": "us-east-1",
                            "resources": [], "detail": env})} for i, env in enumerate(envelopes)]}


class Inventory:
    def __init__(self, aws) -> None:
        self.aws = aws

    def call(self, method: str, resource: str, *, who: dict[str, str] | None = MANAGER, **kwargs: Any):
        """(status, body, headers) of the inventory handler called as API Gateway calls it."""
        from inventory.app import handler
        return call_api(handler, method, resource, who=who, **kwargs)

    def ok(self, *args, expect: int = 200, **kwargs):
        status, body, _ = self.call(*args, **kwargs)
        assert status == expect, (status, body)
        return body

    def feed(self, envelopes: list[dict[str, Any]]) -> dict[str, Any]:
        from inventory.consumer import handler
        return handler(sqs_event(envelopes), FakeLambdaContext())

    def repositories(self, *codes: str, org_id: str = ORG) -> None:
        """Stacks' RepositoryCreated of each code, through the consumer (campaigns and cycles need one)."""
        assert self.feed([repository_event(code, org_id) for code in codes]) == {"batchItemFailures": []}

    # --------------------------------------------------------------- steps
    def campaign(self, repository: str = "R01", ranges: list[str] | None = None, who=MANAGER, **extra) -> dict:
        scope = {"repository_id": repository} | ({"ranges": ranges} if ranges else {})
        return self.ok("POST", "/inventory/campaigns", body={"name": "Spring count", "scope": scope, **extra},
                       who=who, expect=201)

    def session(self, campaign: dict, who=MANAGER) -> dict:
        return self.ok("POST", "/inventory/campaigns/{campaign_id}/sessions", path={"campaign_id": campaign["id"]},
                       body={"name": "Aisle 1"}, who=who, expect=201)

    def scan(self, campaign: dict, session: dict, shelf: str, barcodes: list[str], who=MANAGER, **extra):
        return self.call("POST", "/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans",
                         path={"campaign_id": campaign["id"], "session_id": session["id"]},
                         body={"location_id": shelf, "barcodes": barcodes, **extra}, who=who)

    def get(self, campaign_id: str, who=MANAGER) -> dict:
        return self.ok("GET", "/inventory/campaigns/{campaign_id}", path={"campaign_id": campaign_id}, who=who)

    def count(self, campaign: dict, who=MANAGER):
        return self.call("POST", "/inventory/campaigns/{campaign_id}/count", path={"campaign_id": campaign["id"]},
                         headers={"If-Match": f'"{campaign["version"]}"'}, who=who)

    def count_and_wait(self, campaign: dict) -> dict:
        status, body, _ = self.count(campaign)
        assert status == 202, body
        execution = self.wait(f"count-{campaign['id']}-{body['run']}")
        assert execution["status"] == "SUCCEEDED", execution
        return self.get(campaign["id"])

    def results(self, campaign_id: str, **query) -> list[dict]:
        found, cursor = [], None
        while True:
            q = {**query, "limit": "100"} | ({"cursor": cursor} if cursor else {})
            page = self.ok("GET", "/inventory/campaigns/{campaign_id}/results", path={"campaign_id": campaign_id},
                           query=q)
            found += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return found

    def wait(self, name: str, deadline_s: float = 60.0) -> dict[str, Any]:
        """Poll the execution to a final state (synchronisation with a deadline, not a sleep)."""
        sfn, end = self.aws.sfn, time.monotonic() + deadline_s
        while time.monotonic() < end:
            runs = [e for e in self.aws.executions(MACHINE_ARN) if e["name"] == name]
            if runs and runs[0]["status"] != "RUNNING":
                return sfn.describe_execution(executionArn=runs[0]["executionArn"])
            time.sleep(0.02)
        raise AssertionError(f"execution {name} did not finish within {deadline_s}s")

    # ------------------------------------------------------------------ reads
    def items(self) -> list[dict]:
        client, found, start = self.aws.ddb, [], None
        while True:
            page = client.scan(TableName="inventory", **({"ExclusiveStartKey": start} if start else {}))
            found += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def snapshot(self) -> list[tuple[str, str]]:
        return sorted((i["pk"]["S"], i["sk"]["S"]) for i in self.items() if not i["pk"]["S"].startswith("IDEMPOTENCY#"))

    def events(self, type_: str | None = None) -> list[dict]:
        envelopes = [json.loads(i["envelope"]["S"]) for i in self.items() if i["pk"]["S"].startswith("OUTBOX#")]
        return [e for e in envelopes if type_ is None or e["type"] == type_]


def make_world(aws, monkeypatch) -> Inventory:
    """Inventory's table env, its state machine (built with the world) and its task handler on the router."""
    monkeypatch.setenv("TABLE_NAME", "inventory")
    monkeypatch.setenv("STOCK_TAKE_STATE_MACHINE_ARN", MACHINE_ARN)
    from inventory import tasks
    from inventory.integration import workflows
    workflows._client.cache_clear()
    aws.router.handlers["InventoryTasksFunction"] = tasks.handler
    return Inventory(aws)


@pytest.fixture
def inventory(aws, monkeypatch) -> Inventory:
    _serialise_moto_writes(monkeypatch)
    yield make_world(aws, monkeypatch)
    from inventory.integration import workflows
    workflows._client.cache_clear()


SHELF_1, SHELF_2, SHELF_3 = "R01-01-01-1", "R01-01-01-2", "R01-02-01-1"


@pytest.fixture
def holdings(inventory) -> dict[str, dict]:
    """Seven boxes as stacks' events describe them (fed in a shuffled order, some twice)."""
    boxes = {
        "A": ("box-a", "BC-A", SHELF_1, "shelved"), "B": ("box-b", "BC-B", SHELF_1, "shelved"),
        "C": ("box-c", "BC-C", SHELF_1, "shelved"), "D": ("box-d", "BC-D", SHELF_2, "shelved"),
        "E": ("box-e", "BC-E", SHELF_2, "checked_out"), "F": ("box-f", "BC-F", SHELF_3, "shelved"),
        "G": ("box-g", "BC-G", "R02-01-01-1", "shelved"),
    }
    envelopes = [repository_event("R01"), repository_event("R02")]
    for box_id, barcode, home, status in boxes.values():
        envelopes.append(box_event("BoxRegistered", box_id, barcode, 1, home=None, status="unplaced"))
        envelopes.append(box_event("BoxPlaced", box_id, barcode, 2, home=home))
        if status != "shelved":
            envelopes.append(box_event("BoxCheckedOut", box_id, barcode, 4, home=home, status=status))
    ordered = list(reversed(envelopes)) + envelopes[:3]  # newest first, then duplicates of old ones
    result = inventory.feed(ordered)
    assert result == {"batchItemFailures": []}
    return {k: {"id": v[0], "barcode": v[1], "home": v[2], "status": v[3]} for k, v in boxes.items()}
