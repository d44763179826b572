"""Stacks' routes refuse input their schemas reject before reading or writing anything.

The real handler, no AWS behind it (tests/support/offline.py). Cases that need data (an
unknown profile, a repository that does not exist) and one schema case per route group
stay in tests/integration/test_stacks_api.py, through moto.
"""
from __future__ import annotations

import pytest

from tests.integration.stacks_world import MANAGER


@pytest.mark.parametrize("resource, raw, field", [
    ("/repositories", '{"code": "r1", "name": "x"}', "code"),
    ("/repositories", '{"code": "R01", "name": "x", "environment_targets": {"paper": {"temperature_c": '
                      '{"min": 25, "max": 18}}}}', "environment_targets.paper.temperature_c"),
    ("/repositories", '{"code": "R01", "name": "x", "colour": "red"}', "colour"),
    ("/location-profiles", '{"name": "x", "width_mm": 0, "height_mm": 1, "depth_mm": 1, "load_limit_kg": 1}',
     "width_mm"),
    ("/container-profiles", '{"name": "x", "width_mm": 10, "height_mm": 1, "depth_mm": 1}', "weight_kg"),
    ("/boxes", '{"barcode": "B-1", "container_profile_id": "p", "producing_unit": "u|x", "record_form": "document"}',
     "producing_unit"),
    ("/boxes", '{"barcode": "B-1", "container_profile_id": "p", "producing_unit": "u", "record_form": "scroll"}',
     "record_form"),
    ("/locations", '{"kind": "shelf", "parent_id": "R01-01-01", "number": 100}', "number"),
])
def test_bad_bodies_are_400_problems_and_write_nothing(offline, resource, raw, field):
    status, body, headers = offline.call("stacks", "POST", resource, raw_body=raw, who=MANAGER)
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == field


@pytest.mark.parametrize("placements, field", [
    ([{"box_id": "a", "location_id": "R01-01-01"}], "placements.0.location_id"),
    ([{"box_id": "a", "location_id": "not a code"}], "placements.0.location_id"),
    ([{"box_id": f"b{n}", "location_id": "R01-01-01-1"} for n in range(20_001)], "placements"),  # above a job's
    ([], "placements"),
])
def test_bad_bulk_input_refuses_the_whole_call(offline, placements, field):
    status, body, _ = offline.call("stacks", "POST", "/placements/bulk", body={"placements": placements}, who=MANAGER)
    assert status == 400 and body["errors"][0]["field"] == field
