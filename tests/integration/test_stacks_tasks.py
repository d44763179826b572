"""The check-out saga's steps on stacks (tasks.handler), as Step Functions' lambda:invoke calls them."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.stacks_world import ORG
from tests.support.events import FakeLambdaContext


def step(name: str, box_id: str, loan_id: str, **extra):
    from stacks.tasks import handler
    return handler({"step": name, "org_id": ORG, "box_id": box_id, "loan_id": loan_id,
                    "execution_id": f"exec-{loan_id}", "correlation_id": f"corr-{loan_id}", **extra},
                   FakeLambdaContext())


def attempt(name: str, box_id: str, loan_id: str, **extra):
    """(result, None) or (None, the error name Step Functions would see)."""
    try:
        return step(name, box_id, loan_id, **extra), None
    except Exception as exc:  # noqa: BLE001 - the error name is the contract
        return None, type(exc).__name__


@pytest.fixture
def shelved_box(stacks, laid_out):
    box = stacks.box("BX-0001", laid_out["box_profile"]["id"])
    return stacks.place(box, "R01-01-01-1")[1]["box"]


def test_of_fifty_concurrent_reservations_exactly_one_wins(stacks, shelved_box):
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(lambda n: attempt("reserve_box", shelved_box["id"], f"loan-{n}"), range(50)))
    winners = [result for result, error in outcomes if error is None]
    assert len(winners) == 1, outcomes
    assert sorted({error for _, error in outcomes if error}) == ["BoxNotAvailable"]
    box = stacks.get_box(shelved_box["id"])
    assert box["status"] == "reserved" and box["loan_id"] == winners[0]["loan_id"]
    assert len(stacks.events("BoxReserved")) == 1


def test_the_same_loan_retrying_concurrently_reserves_once(stacks, shelved_box):
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: attempt("reserve_box", shelved_box["id"], "loan-7"), range(10)))
    assert all(error is None for _, error in outcomes), outcomes
    assert sorted(result["already"] for result, _ in outcomes) == [False] + [True] * 9
    assert len(stacks.events("BoxReserved")) == 1


def test_a_loan_checks_the_box_out_and_returns_it_home_each_step_once(stacks, shelved_box):
    box_id = shelved_box["id"]
    assert step("reserve_box", box_id, "loan-1")["status"] == "reserved"
    destination = {"kind": "reading_room", "name": "Reading room 2"}
    out = step("check_out_box", box_id, "loan-1", destination=destination)
    assert out["status"] == "checked_out" and out["current_location"]["kind"] == "reading_room"
    assert step("check_out_box", box_id, "loan-1", destination=destination) == {**out, "already": True}
    box = stacks.get_box(box_id)
    assert box["current_location"] == {"kind": "reading_room", "name": "Reading room 2", "loan_id": "loan-1"}
    assert box["home_location_id"] == "R01-01-01-1"
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 1  # its place is kept for its return
    back = step("return_box", box_id, "loan-1")
    assert back["status"] == "shelved" and back["current_location"] == {"kind": "shelf", "id": "R01-01-01-1"}
    assert step("return_box", box_id, "loan-1")["already"] is True
    history = stacks.ok("GET", "/boxes/{box_id}/history", path={"box_id": box_id})["items"]
    assert [h["action"] for h in history] == ["return", "check_out", "placed"]
    assert history[1]["to"]["kind"] == "reading_room" and history[1]["loan_id"] == "loan-1"
    shelf_history = stacks.ok("GET", "/locations/{location_id}/history", path={"location_id": "R01-01-01-1"})
    assert [h["action"] for h in shelf_history["items"]] == ["return", "check_out", "placed"]
    types = [e["type"] for e in stacks.outbox()]
    assert [t for t in types if t in ("BoxReserved", "BoxCheckedOut", "BoxReturned")].count("BoxCheckedOut") == 1
    assert types.count("BoxReturned") == 1
    checked_out = stacks.events("BoxCheckedOut")[0]
    assert checked_out["actor"]["execution_id"] == "exec-loan-1" and checked_out["correlation_id"] == "corr-loan-1"
    # the box is free for the next loan
    assert step("reserve_box", box_id, "loan-2")["status"] == "reserved"


def test_release_compensates_once_and_tolerates_nothing_to_undo(stacks, shelved_box):
    box_id = shelved_box["id"]
    never = step("release_box", box_id, "loan-never")  # reservation failed before: nothing to undo
    assert never["already"] is True and never["changed"] is False
    step("reserve_box", box_id, "loan-1")
    released = step("release_box", box_id, "loan-1")
    assert released["changed"] is True and released["status"] == "shelved"
    assert step("release_box", box_id, "loan-1") == {**released, "already": True}
    assert len(stacks.events("BoxReservationReleased")) == 1
    # another loan's reservation is not ours to release
    step("reserve_box", box_id, "loan-2")
    assert step("release_box", box_id, "loan-3")["changed"] is False
    assert stacks.get_box(box_id)["loan_id"] == "loan-2"


def test_a_reservation_retried_after_its_release_is_refused(stacks, shelved_box):
    box_id = shelved_box["id"]
    step("release_box", box_id, "loan-late")  # the compensation ran first (the reservation timed out)
    result, error = attempt("reserve_box", box_id, "loan-late")
    assert error == "BoxNotAvailable"
    assert stacks.get_box(box_id)["status"] == "shelved"


@pytest.mark.parametrize("name, extra, error", [
    ("check_out_box", {"destination": {"kind": "reading_room"}}, "BoxNotAvailable"),  # not reserved
    ("reserve_box", {"box_id": "no-such-box"}, "BoxNotFound"),
    ("check_out_box", {"destination": {"kind": "moon"}}, "BoxNotAvailable"),
    ("dance", {}, "UnknownTask"),
    ("reserve_box", {"loan_id": ""}, "InvalidTaskInput"),
])
def test_business_rejections_fail_fast_with_their_names(stacks, shelved_box, name, extra, error):
    from stacks.tasks import handler
    event = {"step": name, "org_id": ORG, "box_id": shelved_box["id"], "loan_id": "loan-1", **extra}
    with pytest.raises(Exception) as raised:
        handler(event, FakeLambdaContext())
    assert type(raised.value).__name__ == error


def test_a_box_of_another_organisation_is_not_found(stacks, shelved_box):
    from stacks.tasks import handler
    with pytest.raises(Exception) as raised:
        handler({"step": "reserve_box", "org_id": "org-beta", "box_id": shelved_box["id"], "loan_id": "l"},
                FakeLambdaContext())
    assert type(raised.value).__name__ == "BoxNotFound"


def test_a_reserved_box_cannot_be_moved_or_reported_missing(stacks, shelved_box):
    step("reserve_box", shelved_box["id"], "loan-1")
    box = stacks.get_box(shelved_box["id"])
    assert stacks.place(box, "R01-01-01-2")[0] == 409
    status = stacks.call("POST", "/boxes/{box_id}/status", path={"box_id": box["id"]}, body={"status": "missing"},
                         headers={"If-Match": f'"{box["version"]}"'})
    assert status[0] == 409
