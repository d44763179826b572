"""A stock-take over HTTP against the local system: stacks' box events reach inventory through the
outbox → bus → InventoryRule → InventoryQueue → consumer path, and the count runs in the
stock-take state machine provisioned from template.yaml.

GIVEN a stack manager who shelves boxes through the stacks API
WHEN a campaign is opened, its shelves are scanned and it is counted
THEN the results and report say which boxes are ok, misplaced and missing.
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import stack_room, wait_for

pytestmark = pytest.mark.e2e


def test_a_stock_take_from_shelving_to_report(local_system):
    token = local_system.token("stacks@src")
    call = lambda method, path, body=None, **h: local_system.request(method, path, token=token, json_body=body,  # noqa: E731
                                                                     headers=h or None)
    repo, shelf_1, shelf_2, box_profile = stack_room(call, "E", shelf_width_mm=1000)
    barcodes = [f"{repo}-B{i}" for i in range(3)]
    for barcode, shelf in zip(barcodes, (shelf_1, shelf_1, shelf_2)):
        box = call("POST", "/boxes", {"barcode": barcode, "container_profile_id": box_profile,
                                      "producing_unit": "Finance", "record_form": "document"}).json()
        placed = call("PUT", f"/boxes/{box['id']}/placement", {"location_id": shelf}, **{"If-Match": '"1"'})
        assert placed.status == 200, placed.body

    def campaign_opened():  # inventory knows the new repository from stacks' RepositoryCreated (asynchronously)
        opened = call("POST", "/inventory/campaigns", {"name": "E2E count", "scope": {"repository_id": repo}})
        assert opened.status in (201, 404), opened.body  # 404 (nothing written) until the event arrived
        return opened.json() if opened.status == 201 else None

    campaign = wait_for(campaign_opened, what="stacks' RepositoryCreated in inventory's read model")
    path = f"/inventory/campaigns/{campaign['id']}"

    def holdings_arrived():  # the read model is fed asynchronously: count once it expects all three boxes
        expected = call("GET", f"/inventory/expected?location_id={repo}-01&limit=10")
        return expected.status == 200 and len(expected.json()["items"]) == 3

    session = call("POST", f"{path}/sessions", {"name": "E2E"}).json()
    scanned = call("POST", f"{path}/sessions/{session['id']}/scans",
                   {"location_id": shelf_1, "barcodes": [barcodes[0], barcodes[2]]})
    assert scanned.status == 200, scanned.body
    wait_for(holdings_arrived, what="stacks' box events in inventory's read model (bus → queue → consumer)")

    counting = call("POST", f"{path}/count", **{"If-Match": f'"{campaign["version"]}"'})
    assert counting.status == 202, counting.body
    wait_for(lambda: call("GET", path).json()["status"] == "counted", timeout=60,
             what="the stock-take state machine")

    results = {r["barcode"]: r["result"] for r in call("GET", f"{path}/results?limit=100").json()["items"]}
    assert results == {barcodes[0]: "ok", barcodes[1]: "missing", barcodes[2]: "misplaced"}
    report = call("GET", f"{path}/report").json()
    assert report["totals"]["missing"] == 1 and report["ranges"][0]["range"] == f"{repo}-01"

