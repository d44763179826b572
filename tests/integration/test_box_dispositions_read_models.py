"""Circulation's and inventory's read models follow stacks' destroyed and transferred boxes.

GIVEN shelved boxes whose events reached circulation and inventory through their consumers
WHEN the destruction run destroys one box's files / a transfer releases a box / a receiver places a box it received
THEN the real BoxDestroyed / BoxTransferred / BoxPlaced envelopes, delivered as the bus and queues deliver them,
make the box not lendable and not expected on its shelf, and the received box expected on its new shelf.
"""
from __future__ import annotations

import json
import uuid

from tests.integration.circulation_world import (OTHER_MANAGER, REQUESTER, circulation, request_body,  # noqa: F401
                                                 shelves)
from tests.integration.inventory_world import sqs_event
from tests.integration.stacks_world import MANAGER as STACK_MANAGER, ORG, OTHER_ORG
from tests.integration.test_stacks_record_files import feed, file_event
from tests.support.events import FakeLambdaContext, call_api, claims
from tests.support.template import resource

SHELF = "R01-01-01-1"
INVENTORY_AUDITOR = claims("u-auditor", ORG, ["auditor"])
OTHER_AUDITOR = claims("u-beta-auditor", OTHER_ORG, ["auditor"])


def stacks_step(name: str, **event):
    from stacks.tasks import handler
    return handler({"step": name, "execution_id": f"exec-{name}", **event}, FakeLambdaContext())


def routed(rule: str) -> set[str]:
    """The event types the template's rule sends to a capability's queue."""
    return set(resource(rule)["Properties"]["EventPattern"]["detail-type"])


def to_inventory(stacks, forwarded: set[str]) -> None:
    """Deliver stacks' new box events to inventory's consumer (what InventoryRule + InventoryQueue do)."""
    from inventory.consumer import handler
    events = [e for e in stacks.outbox() if e["id"] not in forwarded and e["type"] in routed("InventoryRule")]
    for start in range(0, len(events), 10):
        assert handler(sqs_event(events[start:start + 10]), FakeLambdaContext()) == {"batchItemFailures": []}
    forwarded |= {e["id"] for e in stacks.outbox()}


def expected(shelf: str, who=INVENTORY_AUDITOR) -> list[str]:
    from inventory.app import handler
    status, body, _ = call_api(handler, "GET", "/inventory/expected", query={"location_id": shelf}, who=who)
    assert status == 200, body
    return [b["barcode"] for b in body["items"]]


def lend(circulation, box_id: str) -> int:
    return circulation.call("POST", "/circulation/requests", body=request_body(box_id), who=REQUESTER,
                            headers={"Idempotency-Key": str(uuid.uuid4())})[0]


def test_a_destroyed_box_is_neither_lendable_nor_expected_on_its_shelf(circulation, shelves):
    stacks = circulation.stacks
    assert feed([file_event("FileCreated", f) for f in ("f1", "f2")]) == {"batchItemFailures": []}
    gone = circulation.shelved_box("BX-1", shelves["box_profile"], files=["f1"])
    kept = circulation.shelved_box("BX-2", shelves["box_profile"], files=["f2"])
    forwarded: set[str] = set()
    to_inventory(stacks, forwarded)
    assert sorted(expected(SHELF)) == ["BX-1", "BX-2"]
    stacks_step("destroy_contents", org_id=ORG, run_id="run-1", file_ids=["f1"], supervisor={"name": "Kim"})
    assert {"BoxDestroyed", "BoxTransferred"} <= routed("CirculationBoxEventsRule")
    assert circulation.sync_boxes() >= 1
    to_inventory(stacks, forwarded)
    assert expected(SHELF) == ["BX-2"]
    assert lend(circulation, gone["id"]) == 409
    assert lend(circulation, kept["id"]) == 201


def test_a_transferred_box_leaves_the_senders_models_and_the_receivers_placed_box_is_expected(circulation, shelves):
    stacks = circulation.stacks
    assert feed([file_event("FileCreated", "f1")]) == {"batchItemFailures": []}
    box = circulation.shelved_box("BX-1", shelves["box_profile"], files=["f1"])
    stacks.repository("R01", who=OTHER_MANAGER)
    stacks.range_("R01", 1, stacks.shelf_profile(who=OTHER_MANAGER)["id"], who=OTHER_MANAGER)
    forwarded: set[str] = set()
    sent = stacks_step("transfer_out_boxes", org_id=ORG, transfer_id="tr-1", file_ids=["f1"])["boxes"]
    stacks_step("receive_boxes", receiver_org=OTHER_ORG, sender_org=ORG, transfer_id="tr-1", boxes=sent)
    stacks_step("release_boxes", org_id=ORG, transfer_id="tr-1")
    arrived = stacks.get_box(box["id"], who=OTHER_MANAGER)
    assert stacks.place(arrived, SHELF, who=OTHER_MANAGER)[0] == 200
    circulation.sync_boxes()
    to_inventory(stacks, forwarded)
    assert expected(SHELF) == []  # the sender's shelf no longer expects it
    assert expected(SHELF, who=OTHER_AUDITOR) == ["BX-1"]  # the receiver's stock-take does
    assert lend(circulation, box["id"]) == 409
    transferred = [e for e in stacks.outbox() if e["type"] == "BoxTransferred"]
    assert json.loads(json.dumps(transferred[0]["payload"]["box"]))["status"] == "transferred"
