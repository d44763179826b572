"""Sensors, partner readings, out-of-range events, and the readings time series."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.stacks_world import ARCHIVIST, ORG, OTHER_MANAGER, OTHER_ORG, PARTNER_CLIENT_ID
from tests.support.events import partner

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def post(stacks, readings, client=PARTNER_CLIENT_ID, headers=None, org=ORG, scopes=("environment:write",)):
    """Readings as the partner authorizer lets a client of `org` through (client None: no partner at all)."""
    return stacks.call("POST", "/environment/readings", body={"readings": readings}, who=None, headers=headers,
                       as_partner=partner(client, org, list(scopes)) if client else None)


@pytest.fixture
def sensor(stacks, laid_out):
    return stacks.ok("POST", "/sensors", expect=201, body={"sensor_id": "TH-0001", "repository_id": "R01",
                                                           "partner_client_id": PARTNER_CLIENT_ID, "name": "East wall"})


def test_readings_leaving_the_targets_raise_one_event_until_they_return(stacks, sensor):
    readings = [
        {"sensor_id": "TH-0001", "at": at(50), "temperature_c": 20.1, "humidity_pct": 48},
        {"sensor_id": "TH-0001", "at": at(40), "temperature_c": 23.5, "humidity_pct": 48},  # too warm
        {"sensor_id": "TH-0001", "at": at(30), "temperature_c": 24.0, "humidity_pct": 49},  # still too warm
        {"sensor_id": "TH-0001", "at": at(20), "temperature_c": 24.0, "humidity_pct": 58},  # and now too damp
        {"sensor_id": "TH-0001", "at": at(10), "temperature_c": 21.0, "humidity_pct": 50},  # back
    ]
    status, body, _ = post(stacks, readings)
    assert status == 200, body
    assert body["accepted"] == 5
    assert [(c["event"], c["violations"]) for c in body["changes"]] == [
        ("EnvironmentOutOfRange", ["paper.temperature_c.above"]),
        ("EnvironmentOutOfRange", ["paper.temperature_c.above", "paper.humidity_pct.above"]),
        ("EnvironmentBackInRange", []),
    ]
    out = stacks.events("EnvironmentOutOfRange")
    assert len(out) == 2
    assert {(s["kind"], s["id"]) for s in out[0]["subjects"]} == {("sensor", "TH-0001"), ("repository", "R01")}
    assert out[0]["payload"]["reading"]["temperature_c"] == 23.5
    assert out[0]["payload"]["targets"]["paper"]["temperature_c"] == {"min": 18, "max": 22}
    assert len(stacks.events("EnvironmentBackInRange")) == 1
    state = stacks.ok("GET", "/sensors/{sensor_id}", path={"sensor_id": "TH-0001"}, who=ARCHIVIST)
    assert state["violations"] == [] and state["last_reading"]["temperature_c"] == 21.0
    # the partner retries the whole batch: stored once, no event again
    before = stacks.snapshot()
    again = post(stacks, readings)
    assert again[0] == 200 and again[1]["changes"] == []
    assert stacks.snapshot() == before
    assert len(stacks.events("EnvironmentOutOfRange")) == 2


def test_a_late_reading_is_kept_but_does_not_change_the_state(stacks, sensor):
    post(stacks, [{"sensor_id": "TH-0001", "at": at(5), "temperature_c": 20, "humidity_pct": 45}])
    status, body, _ = post(stacks, [{"sensor_id": "TH-0001", "at": at(60), "temperature_c": 30, "humidity_pct": 45}])
    assert status == 200 and body["changes"] == []
    assert stacks.events("EnvironmentOutOfRange") == []
    series = stacks.ok("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"})["items"]
    assert [r["temperature_c"] for r in series] == [30, 20]  # oldest first
    assert series[0]["violations"] == ["paper.temperature_c.above"]


def test_unregistered_sensors_and_foreign_keys_are_refused_and_nothing_is_stored(stacks, sensor):
    before = stacks.snapshot()
    good = {"sensor_id": "TH-0001", "at": at(1), "temperature_c": 30, "humidity_pct": 45}
    unknown = post(stacks, [good, {"sensor_id": "TH-9999", "at": at(1), "temperature_c": 20}])
    assert unknown[0] == 404 and unknown[1]["type"].endswith("/not-found")
    foreign = post(stacks, [good], client="someoneelse")
    assert foreign[0] == 403 and foreign[1]["type"].endswith("/forbidden")
    unscoped = post(stacks, [good], scopes=("directory:read",))
    assert unscoped[0] == 403 and "environment:write" in unscoped[1]["detail"]
    other_org = post(stacks, [good], org=OTHER_ORG)  # the same client id in another organisation: not its sensor
    assert other_org[0] == 404
    no_key = post(stacks, [good], client=None)
    assert no_key[0] == 401
    future = post(stacks, [{**good, "at": (NOW + timedelta(hours=2)).isoformat()}])
    assert future[0] == 400
    no_measure = post(stacks, [{"sensor_id": "TH-0001", "at": at(1)}])
    assert no_measure[0] == 400
    no_zone = post(stacks, [{**good, "at": "2025-01-01T10:00:00"}])
    assert no_zone[0] == 400
    assert stacks.snapshot() == before
    stacks.ok("PATCH", "/sensors/{sensor_id}", path={"sensor_id": "TH-0001"}, body={"status": "retired"},
              headers={"If-Match": '"1"'})
    assert post(stacks, [good])[0] == 403


def test_sensor_ids_are_registered_once_and_only_by_stack_managers(stacks, sensor):
    dup = stacks.call("POST", "/sensors", body={"sensor_id": "TH-0001", "repository_id": "R01", "partner_client_id": "k2"})
    assert dup[0] == 409
    stacks.repository("R01", who=OTHER_MANAGER)
    elsewhere = stacks.call("POST", "/sensors", who=OTHER_MANAGER,
                            body={"sensor_id": "TH-0001", "repository_id": "R01", "partner_client_id": "k2"})
    assert elsewhere[0] == 409  # device ids are global
    assert stacks.call("POST", "/sensors", who=ARCHIVIST,
                       body={"sensor_id": "TH-2", "repository_id": "R01", "partner_client_id": "k2"})[0] == 403
    listed = stacks.ok("GET", "/sensors", query={"repository_id": "R01"})["items"]
    assert [s["id"] for s in listed] == ["TH-0001"]


def test_moving_a_sensor_to_another_repository_applies_that_rooms_targets(stacks, sensor):
    stacks.repository("R02", environment_targets={"magnetic": {"temperature_c": {"min": 13, "max": 17}}})
    stacks.ok("PATCH", "/sensors/{sensor_id}", path={"sensor_id": "TH-0001"}, body={"repository_id": "R02"},
              headers={"If-Match": '"1"'})
    status, body, _ = post(stacks, [{"sensor_id": "TH-0001", "at": at(1), "temperature_c": 20}])
    assert [c["violations"] for c in body["changes"]] == [["magnetic.temperature_c.above"]]
    assert stacks.ok("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R02"})["items"]
    assert stacks.ok("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"})["items"] == []


def test_staff_page_through_a_period_across_days(stacks, sensor):
    start = NOW - timedelta(days=2, hours=1)
    readings = [{"sensor_id": "TH-0001", "at": (start + timedelta(hours=6 * n)).isoformat(), "temperature_c": 20,
                 "humidity_pct": 45} for n in range(9)]  # over three calendar days
    assert post(stacks, readings)[0] == 200
    query = {"from": (start - timedelta(minutes=1)).isoformat(), "to": NOW.isoformat(), "limit": "2"}
    seen, cursor = [], None
    while True:
        body = stacks.ok("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"},
                         query=query | ({"cursor": cursor} if cursor else {}), who=ARCHIVIST)
        assert len(body["items"]) <= 2
        seen += [r["at"] for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 9 and seen == sorted(seen)
    assert stacks.call("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"},
                       query={"from": (NOW - timedelta(days=200)).isoformat()})[0] == 400
    assert stacks.call("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"},
                       query={"from": "yesterday"})[0] == 400
    other = stacks.call("GET", "/repositories/{repository_id}/environment", path={"repository_id": "R01"},
                        query={"cursor": "eyJwayI6IngiLCJzayI6InkifQ"})
    assert other[0] == 400


def test_an_idempotency_key_replays_the_partners_answer(stacks, sensor):
    readings = [{"sensor_id": "TH-0001", "at": at(3), "temperature_c": 25}]
    first = post(stacks, readings, headers={"Idempotency-Key": "gw-batch-1"})
    again = post(stacks, readings, headers={"Idempotency-Key": "gw-batch-1"})
    assert first[1] == again[1] and again[2]["idempotent-replayed"] == "true"
    assert len(stacks.events("EnvironmentOutOfRange")) == 1
