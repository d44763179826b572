"""Shared set-up of the stacks integration tests: the handler with API Gateway events against moto.

`stacks` (fixture) points TABLE_NAME at the stacks table for the test (stacks reads it at
call time, so the process-wide TABLE_NAME=identity of tests/integration/conftest.py does
not matter), and makes moto's DynamoDB writes atomic with respect to each other, as
DynamoDB's are: moto checks a transaction's conditions and then applies it without a
lock, and restores a whole table copy when a transaction fails — so concurrent tests
would otherwise see races DynamoDB never has (and a deep copy of the table per
transaction makes hundreds of placements take minutes).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from infrastructure.moto_atomic import make_dynamodb_atomic
from tests.support.events import call_api, claims

ORG = "org-alpha"
OTHER_ORG = "org-beta"
MANAGER = claims("u-stacks", ORG, ["stack_manager"])
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
OTHER_MANAGER = claims("u-beta-stacks", OTHER_ORG, ["stack_manager", "admin"])
PARTNER_CLIENT_ID = "sensor-gateway-1"  # a partner client of ORG with scope environment:write

SHELF_PROFILE = {"name": "Standard shelf", "width_mm": 1000, "height_mm": 350, "depth_mm": 400, "load_limit_kg": 100}
BOX_PROFILE = {"name": "Standard box", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 5,
               "stacking_limit": 1}


def _serialise_moto_writes(monkeypatch) -> None:
    make_dynamodb_atomic(monkeypatch.setattr)


class Stacks:
    """Calls the stacks handler as API Gateway does and reads the table back."""

    def __init__(self, aws) -> None:
        self.aws = aws

    def call(self, method: str, resource: str, *, who: dict[str, str] | None = MANAGER, **kwargs: Any):
        """(status, body, headers) of the stacks handler called as API Gateway calls it."""
        from stacks.app import handler
        return call_api(handler, method, resource, who=who, **kwargs)

    # ------------------------------------------------------------ set-up steps
    def ok(self, *args, expect: int = 200, **kwargs):
        status, body, headers = self.call(*args, **kwargs)
        assert status == expect, (status, body)
        return body

    def repository(self, code: str = "R01", who=MANAGER, **extra) -> dict:
        return self.ok("POST", "/repositories", body={"code": code, "name": f"Repository {code}", **extra}, who=who,
                       expect=201)

    def shelf_profile(self, who=MANAGER, **changes) -> dict:
        return self.ok("POST", "/location-profiles", body={**SHELF_PROFILE, **changes}, who=who, expect=201)

    def box_profile(self, who=MANAGER, **changes) -> dict:
        return self.ok("POST", "/container-profiles", body={**BOX_PROFILE, **changes}, who=who, expect=201)

    def range_(self, repository: str, number: int, profile_id: str, sections: int = 2, shelves: int = 3,
               who=MANAGER) -> dict:
        return self.ok("POST", "/locations", who=who, expect=201, body={
            "kind": "range", "parent_id": repository, "number": number, "location_profile_id": profile_id,
            "layout": {"sections": sections, "shelves_per_section": shelves}})

    def box(self, barcode: str, profile_id: str, who=MANAGER, producing_unit: str = "Finance Division",
            record_form: str = "document", **extra) -> dict:
        return self.ok("POST", "/boxes", who=who, expect=201, body={
            "barcode": barcode, "container_profile_id": profile_id, "producing_unit": producing_unit,
            "record_form": record_form, **extra})

    def place(self, box: dict, shelf: str, who=MANAGER, reason: str | None = None):
        body = {"location_id": shelf} | ({"reason": reason} if reason else {})
        return self.call("PUT", "/boxes/{box_id}/placement", path={"box_id": box["id"]}, body=body, who=who,
                         headers={"If-Match": f'"{box["version"]}"'})

    def get_box(self, box_id: str, who=MANAGER) -> dict:
        return self.ok("GET", "/boxes/{box_id}", path={"box_id": box_id}, who=who)

    def shelf(self, shelf_id: str, who=MANAGER) -> dict:
        return self.ok("GET", "/locations/{location_id}", path={"location_id": shelf_id}, who=who)

    # ------------------------------------------------------------------- reads
    def items(self) -> list[dict]:
        client, found, start = self.aws.ddb, [], None
        while True:
            page = client.scan(TableName="stacks", **({"ExclusiveStartKey": start} if start else {}))
            found += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def outbox(self) -> list[dict]:
        """The staged events, oldest first."""
        events = [json.loads(i["envelope"]["S"]) for i in self.items() if i["pk"]["S"].startswith("OUTBOX#")]
        return sorted(events, key=lambda e: e["occurred_at"])

    def events(self, type_: str) -> list[dict]:
        return [e for e in self.outbox() if e["type"] == type_]

    def snapshot(self) -> list[tuple[str, str]]:
        """What the table holds, ignoring idempotency records (they record refused requests too)."""
        return sorted((i["pk"]["S"], i["sk"]["S"]) for i in self.items()
                      if not i["pk"]["S"].startswith("IDEMPOTENCY#"))


@pytest.fixture
def stacks(aws, monkeypatch) -> Stacks:
    monkeypatch.setenv("TABLE_NAME", "stacks")
    _serialise_moto_writes(monkeypatch)
    return Stacks(aws)


@pytest.fixture
def laid_out(stacks):
    """A repository R01 with range 01 (2 sections × 3 shelves of 1000 mm / 100 kg) and the two profiles."""
    stacks.repository("R01", environment_targets={
        "paper": {"temperature_c": {"min": 18, "max": 22}, "humidity_pct": {"min": 40, "max": 55}}})
    shelf_profile = stacks.shelf_profile()
    box_profile = stacks.box_profile()
    stacks.range_("R01", 1, shelf_profile["id"])
    return {"shelf_profile": shelf_profile, "box_profile": box_profile}
