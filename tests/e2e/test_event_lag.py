"""Lag that can be seen: health reports how far the relay and each read model are behind.

GIVEN the local system with a lag threshold of 1 s (`$LOCAL_MAX_LAG_SECONDS`)
WHEN the outbox relay's event source on stacks' table is paused (as UpdateEventSourceMapping
Enabled=false would) and a box is placed
THEN health counts the event waiting on StacksTable's stream, with its age, and says `degraded`
WHEN the relay resumes while inventory's consumer is paused
THEN the stream's backlog is gone and inventory's read model has the events waiting in its queue
WHEN inventory's consumer resumes
THEN nothing waits anywhere, health is `ok` again and inventory expects the box on its shelf.
"""
from __future__ import annotations

from typing import Any
import uuid

import pytest

from tests.e2e.conftest import start_local_system, stack_room, wait_for

pytestmark = pytest.mark.e2e
RELAY_ON_STACKS = "OutboxRelayFunction.StacksOutbox"
INVENTORY = "InventoryEventsFunction"


def test_health_shows_a_paused_relay_and_a_paused_consumer_then_both_catch_up(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCAL_MAX_LAG_SECONDS", "1")
    system = start_local_system(tmp_path)
    try:
        token = system.token("stacks@src")
        call = lambda method, path, body=None, **h: system.request(  # noqa: E731
            method, path, token=token, json_body=body, headers={"Idempotency-Key": uuid.uuid4().hex, **h})
        health = lambda: system.request("GET", "/_local/health").json()  # noqa: E731

        def switch(source: str, enabled: bool) -> None:
            answer = system.request("POST", f"/_local/event-sources/{source}", json_body={"enabled": enabled})
            assert answer.status == 200 and answer.json()["enabled"] is enabled, answer.body

        repo, shelf, _, box_profile = stack_room(call, "L", shelf_width_mm=1000)
        box = call("POST", "/boxes", {"barcode": f"{repo}-LAG", "container_profile_id": box_profile,
                                      "producing_unit": "Finance", "record_form": "document"}).json()["id"]
        wait_for(lambda: health()["status"] == "ok", what="the set-up's events to be delivered")

        switch(RELAY_ON_STACKS, False)
        assert call("PUT", f"/boxes/{box}/placement", {"location_id": shelf}, **{"If-Match": '"1"'}).status == 200

        def relay_behind() -> dict[str, Any] | None:
            report = health()
            stream = report["streams"]["StacksTable"]
            return report if stream["waiting"] >= 1 and (stream["oldest_age_s"] or 0) > 1 else None

        behind = wait_for(relay_behind, what="the paused relay's backlog to pass the threshold")
        assert behind["status"] == "degraded" and "StacksTable" in behind["lagging"]
        assert behind["streams"]["StacksTable"]["function"] == "OutboxRelayFunction"
        assert behind["max_lag_s"] == 1

        switch(INVENTORY + ".BoxEvents", False)
        switch(RELAY_ON_STACKS, True)

        def inventory_behind() -> dict[str, Any] | None:
            report = health()
            model = report["read_models"][INVENTORY]
            caught_up = report["streams"]["StacksTable"]["waiting"] == 0
            return report if caught_up and model["waiting"] >= 1 and (model["oldest_age_s"] or 0) > 1 else None

        behind = wait_for(inventory_behind, what="inventory's queue to hold the event past the threshold")
        assert behind["status"] == "degraded" and INVENTORY in behind["lagging"]
        assert behind["read_models"][INVENTORY]["queue"] == "InventoryQueue"
        assert "StacksTable" not in behind["lagging"]

        switch(INVENTORY + ".BoxEvents", True)
        recovered = wait_for(lambda: (r := health())["status"] == "ok" and r["read_models"][INVENTORY]["waiting"] == 0
                             and r, what="health to be ok again and inventory's queue empty")
        assert recovered["lagging"] == [] and recovered["streams"]["StacksTable"]["waiting"] == 0
        expected = call("GET", f"/inventory/expected?location_id={shelf}&limit=10")
        assert expected.status == 200 and [i["box_id"] for i in expected.json()["items"]] == [box]
    finally:
        system.stop()


def test_an_unknown_event_source_is_404_and_a_bad_body_400(local_system):
    assert local_system.request("POST", "/_local/event-sources/NoSuch.Source", json_body={"enabled": False}).status == 404
    assert local_system.request("POST", f"/_local/event-sources/{RELAY_ON_STACKS}",
                                json_body={"enabled": "no"}).status == 400
    sources = local_system.request("GET", "/_local/event-sources").json()["event_sources"]
    assert sources[RELAY_ON_STACKS] == {"function": "OutboxRelayFunction", "enabled": True}
