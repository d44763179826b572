"""Inventory's routes refuse input their schemas reject before reading or writing anything.

The real handler, no AWS behind it (tests/support/offline.py). Cases that need data (a shelf
outside the campaign's scope) and one schema case per route stay in
tests/integration/test_inventory_api.py, through moto.
"""
from __future__ import annotations

import pytest

from tests.integration.inventory_world import MANAGER, SHELF_1

SCANS = "/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans"


@pytest.mark.parametrize("body, field", [
    ({"location_id": SHELF_1, "barcodes": ["no spaces allowed"]}, "barcodes.0"),
    ({"location_id": SHELF_1, "barcodes": ["BC-A"] * 5001}, "barcodes"),
    ({"location_id": SHELF_1, "barcodes": ["BC-A"], "colour": "red"}, "colour"),
    ({"location_id": SHELF_1, "barcodes": ["BC-A"], "batch": 0}, "batch"),
    ({"barcodes": ["BC-A"]}, "location_id"),
])
def test_bad_scans_are_a_400_problem_and_write_nothing(offline, body, field):
    status, problem, headers = offline.call("inventory", "POST", SCANS, path={"campaign_id": "c-1", "session_id": "s-1"},
                                            body=body, who=MANAGER)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["field"] == field


@pytest.mark.parametrize("body, status", [
    ({"name": "x", "scope": {"repository_id": "R01", "ranges": ["R02-01"]}}, 400),  # not a range of R01
    ({"name": "x", "scope": {"repository_id": "r01"}}, 400),
    ({"name": "x", "scope": {"repository_id": "R01"}, "due_by": "2026-02-30"}, 400),
    ({"name": " ", "scope": {"repository_id": "R01"}}, 400),
])
def test_bad_campaigns_are_refused_and_write_nothing(offline, body, status):
    got, problem, _ = offline.call("inventory", "POST", "/inventory/campaigns", body=body, who=MANAGER)
    assert got == status and problem["type"].startswith("https://records.example/problems/")
