"""A refused write publishes nothing, end to end (stream → relay → bus → queues → consumers).

GIVEN a shelf with room for two boxes
WHEN a bulk placement asks it to take three (the third is refused with a per-box 409)
THEN no consumer ever sees a placement of the refused box: its audit trail holds only its
registration and inventory's read model does not expect it on the shelf. A later placement
(the marker) and every placement that happened are waited for first, so the consumers have read past
the refused one (queues do not keep order, so the marker alone is not enough).
"""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import stack_room, wait_for

pytestmark = pytest.mark.e2e


def test_a_box_the_shelf_refused_is_never_seen_placed_by_any_consumer(local_system):
    token, auditor = local_system.token("stacks@src"), local_system.token("auditor@src")
    call = lambda method, path, body=None, **h: local_system.request(  # noqa: E731
        method, path, token=token, json_body=body, headers={"Idempotency-Key": uuid.uuid4().hex, **h})
    repo, shelf_1, shelf_2, box_profile = stack_room(call, "F", shelf_width_mm=250)  # room for two boxes
    boxes = [call("POST", "/boxes", {"barcode": f"{repo}-B{i}", "container_profile_id": box_profile,
                                     "producing_unit": "Finance", "record_form": "document"}).json()["id"]
             for i in range(4)]
    *crowd, marker = boxes

    bulk = call("POST", "/placements/bulk", {"placements": [{"box_id": b, "location_id": shelf_1} for b in crowd]})
    assert bulk.status == 200, bulk.body
    outcome = {r["box_id"]: r["outcome"] if r["outcome"] == "placed" else r["problem"]["status"]
               for r in bulk.json()["results"]}
    refused = [b for b, result in outcome.items() if result == 409]
    assert len(refused) == 1 and sorted(map(str, outcome.values())) == ["409", "placed", "placed"], outcome
    assert call("PUT", f"/boxes/{marker}/placement", {"location_id": shelf_2}, **{"If-Match": '"1"'}).status == 200

    def events_of(box_id: str) -> list[str]:
        response = local_system.request("GET", f"/audit/entities/{box_id}/events", token=auditor)
        return [entry["event"]["type"] for entry in response.json()["items"]] if response.status == 200 else []

    placed = set(boxes) - set(refused)

    def expected_in_range() -> set[str] | None:
        response = call("GET", f"/inventory/expected?location_id={repo}-01&limit=10")
        ids = {item["box_id"] for item in response.json()["items"]} if response.status == 200 else set()
        return ids if placed <= ids else None

    # Queues do not keep order (SQS standard, two batches in flight): every placement that happened is
    # waited for, the marker's last, before asking whether the refused one was ever seen.
    wait_for(lambda: "BoxPlaced" in events_of(marker), what="the marker's placement in the audit trail")
    expected = wait_for(expected_in_range, what="every placement in inventory's read model")

    assert events_of(refused[0]) == ["BoxRegistered"]
    assert expected == placed
