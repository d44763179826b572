"""The check-out and return sagas, end to end through both capabilities, with every compensation."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.circulation_world import OTHER_REQUESTER, InjectedFailure, TransientError


@pytest.fixture
def approved(circulation, shelves):
    box = circulation.shelved_box("BX-0001", shelves["box_profile"])
    request = circulation.create(box["id"])
    return box, circulation.do(request, "approve")


def test_check_out_and_return_move_the_box_and_write_the_register(circulation, approved):
    box, request = approved
    assert request["status"] == "approved"
    after, run = circulation.check_out(request)
    assert run["status"] == "SUCCEEDED", run
    assert circulation.states_entered(run) == ["CheckParties", "ReserveBox", "RecordLoan", "CheckOutBox",
                                               "CompleteCheckOut", "CheckedOut"]
    assert after["status"] == "checked_out" and after["loan"]["checked_out_at"]
    in_stacks = circulation.stacks.get_box(box["id"])
    assert in_stacks["status"] == "checked_out"
    assert in_stacks["current_location"]["kind"] == "reading_room"
    assert in_stacks["current_location"]["loan_id"] == after["loan"]["id"]
    register = circulation.ok("GET", "/circulation/register")["items"]
    assert [(e["action"], e["box_id"], e["requester"]) for e in register] == [("check_out", box["id"], "u-reader")]

    returned, run = circulation.give_back(after, condition="fair", note="corner torn")
    assert run["status"] == "SUCCEEDED", run
    assert returned["status"] == "returned" and returned["loan"]["condition"] == "fair"
    in_stacks = circulation.stacks.get_box(box["id"])
    assert in_stacks["status"] == "shelved" and in_stacks["current_location"]["id"] == "R01-01-01-1"
    register = circulation.ok("GET", "/circulation/register")["items"]
    assert [e["action"] for e in register] == ["check_out", "return"]
    assert register[1]["condition_note"] == "corner torn"


def _consistent(circulation, box_id: str) -> None:
    """No reserved or checked-out box without a loan, and no loan without its box out."""
    in_stacks = circulation.stacks.get_box(box_id)
    requests, cursor = [], None
    while True:
        page = circulation.ok("GET", "/circulation/requests",
                              query={"box_id": box_id, "limit": "100"} | ({"cursor": cursor} if cursor else {}))
        requests += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    out = [r for r in requests if r["status"] == "checked_out"]
    if in_stacks["status"] in ("reserved", "checked_out"):
        assert in_stacks["status"] == "checked_out" and len(out) == 1, (in_stacks, requests)
        assert out[0]["loan"]["id"] == in_stacks["loan_id"]
    else:
        assert in_stacks["status"] == "shelved" and in_stacks["loan_id"] is None and out == [], (in_stacks, requests)


@pytest.mark.parametrize("step, compensation", [
    ("check_parties", ["ReleaseBox", "AbandonCheckOut", "CheckedOutAnyway", "CheckOutFailed"]),
    ("reserve_box", ["ReleaseBox", "AbandonCheckOut", "CheckedOutAnyway", "CheckOutFailed"]),
    ("record_loan", ["ReleaseBox", "AbandonCheckOut", "CheckedOutAnyway", "CheckOutFailed"]),
    ("check_out_box", ["ReleaseBox", "AbandonCheckOut", "CheckedOutAnyway", "CheckOutFailed"]),
])
def test_a_failure_at_any_check_out_step_is_compensated(circulation, approved, step, compensation):
    box, request = approved
    circulation.faults.fail(step, InjectedFailure(f"{step} broke"))
    after, run = circulation.check_out(request)
    assert run["status"] == "FAILED" and run.get("error") == "CheckOutFailed", run
    assert circulation.states_entered(run)[-len(compensation):] == compensation
    assert after["status"] == "approved", after
    assert after["last_failure"].startswith("InjectedFailure")
    _consistent(circulation, box["id"])
    register = circulation.ok("GET", "/circulation/register")["items"]
    if step == "check_out_box":  # the loan was recorded, then undone: the register says both
        assert [e["action"] for e in register] == ["check_out", "check_out_cancelled"]
    else:
        assert register == []
    # The request can be checked out again: a new attempt, a new loan id, a new execution.
    again, run = circulation.check_out(after)
    assert run["status"] == "SUCCEEDED" and again["status"] == "checked_out"
    assert again["loan"]["id"] != after["loan"]["id"] and again["loan"]["attempt"] == 2
    _consistent(circulation, box["id"])


@pytest.mark.parametrize("step", ["check_parties", "reserve_box", "record_loan", "check_out_box",
                                  "complete_check_out"])
def test_a_transient_error_at_any_step_is_retried_not_compensated(circulation, approved, step):
    box, request = approved
    circulation.faults.fail(step, TransientError("busy"), times=2)
    after, run = circulation.check_out(request)
    assert run["status"] == "SUCCEEDED", run
    assert "ReleaseBox" not in circulation.states_entered(run)
    assert after["status"] == "checked_out"
    _consistent(circulation, box["id"])


def test_the_request_says_checked_out_only_once_the_box_is_at_its_destination(circulation, approved):
    """One truth: the saga stops after stacks moved the box but before its last step. The request
    still says checking_out (in progress, never checked_out with the box on its shelf), nothing is
    undone (the box really is out), and the reconcile job finishes the saga."""
    from datetime import datetime, timedelta, timezone

    from circulation import logic

    box, request = approved
    circulation.faults.fail("complete_check_out", InjectedFailure("circulation is down"), times=20)
    during, run = circulation.check_out(request)
    assert run["status"] == "FAILED", run
    assert "ReleaseBox" not in circulation.states_entered(run)
    assert during["status"] == "checking_out" and during["loan"]["checked_out_at"]
    assert circulation.stacks.get_box(box["id"])["status"] == "checked_out"

    circulation.faults.plan.clear()
    assert logic.reconcile_sagas(now=datetime.now(timezone.utc) + timedelta(minutes=11))["restarted"] == 1
    runs = [e for e in circulation.executions("check-out") if e["executionArn"] != run["executionArn"]]
    finished = circulation.wait("check-out", runs[0]["name"])
    assert finished["status"] == "SUCCEEDED", finished
    assert circulation.get(request["id"])["status"] == "checked_out"
    _consistent(circulation, box["id"])


def test_a_failed_compensation_step_is_retried_until_it_holds(circulation, approved):
    box, request = approved
    circulation.faults.fail("check_out_box", InjectedFailure("scanner room closed"))
    circulation.faults.fail("release_box", TransientError("busy"), times=2)
    circulation.faults.fail("abandon_check_out", TransientError("busy"), times=2)
    after, run = circulation.check_out(request)
    assert run["status"] == "FAILED" and after["status"] == "approved"
    _consistent(circulation, box["id"])


@pytest.mark.parametrize("step", ["record_return", "return_box"])
def test_a_failure_during_return_leaves_the_loan_open(circulation, approved, step):
    box, request = approved
    out, _ = circulation.check_out(request)
    circulation.faults.fail(step, InjectedFailure(f"{step} broke"))
    after, run = circulation.give_back(out)
    assert run["status"] == "FAILED", run
    assert after["status"] == "checked_out" and after["last_failure"].startswith("InjectedFailure")
    assert circulation.stacks.get_box(box["id"])["status"] == "checked_out"
    _consistent(circulation, box["id"])
    actions = [e["action"] for e in circulation.ok("GET", "/circulation/register")["items"]]
    assert actions == (["check_out", "return", "return_cancelled"] if step == "return_box" else ["check_out"])
    returned, run = circulation.give_back(after)  # and the return can be done again
    assert run["status"] == "SUCCEEDED" and returned["status"] == "returned"
    assert circulation.stacks.get_box(box["id"])["status"] == "shelved"


def test_fifty_concurrent_check_outs_of_one_box_make_exactly_one_loan_and_a_queue(circulation, shelves):
    """Issue 13 §4: the requests that lost the race stayed `approved` outside the queue, so none was
    promoted after the return. Now each loser joins the box's queue (first come, first served: from
    when it asked for the box), and the return hands the box to the first in line."""
    box = circulation.shelved_box("BX-0050", shelves["box_profile"])
    requests = [circulation.create(box["id"]) for _ in range(50)]
    approved = [circulation.do(r, "approve") for r in requests]
    assert {r["status"] for r in approved} == {"approved"}

    def start(request):
        status, body, _ = circulation.action(request, "check-out")
        return status, body

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(start, approved))
    started = [body for status, body in answers if status == 202]
    queued_at_once = [body for status, body in answers if status == 200]
    assert started and len(started) + len(queued_at_once) == 50, [(s, b.get("type")) for s, b in answers]
    assert all(b["status"] == "queued" and b["queued_at"] for b in queued_at_once)
    for body in started:
        circulation.wait("check-out", f"checkout-{body['loan']['id']}")
    circulation.sync_boxes()

    final = [circulation.get(r["id"]) for r in requests]
    out = [r for r in final if r["status"] == "checked_out"]
    assert len(out) == 1, [r["status"] for r in final]
    waiting = [r for r in final if r["status"] != "checked_out"]
    assert {r["status"] for r in waiting} == {"queued"}, [r["status"] for r in waiting]  # nobody left outside
    in_stacks = circulation.stacks.get_box(box["id"])
    assert in_stacks["status"] == "checked_out" and in_stacks["loan_id"] == out[0]["loan"]["id"]
    assert len(circulation.stacks.events("BoxReserved")) == 1
    assert len(circulation.events("LoanCheckedOut")) == 1
    _consistent(circulation, box["id"])
    # the queue, in order: 49 places, one per loser, first come first served
    places = sorted((i["sk"]["S"] for i in circulation.items() if i["sk"]["S"].startswith("QUEUE#")))
    line = sorted(waiting, key=lambda r: (r["queued_at"], r["id"]))
    assert places == [f"QUEUE#{r['queued_at']}#{r['id']}" for r in line]
    # a loser whose saga lost the reservation queues from when it asked, ahead of those who asked later
    lost_sagas = {b["id"] for b in started} - {out[0]["id"]}
    for r in line:
        if r["id"] in lost_sagas:
            assert all(r["queued_at"] <= q["queued_at"] for q in line if q["id"] not in lost_sagas)

    # the box comes back: the first in line is promoted (approved, ready); the others still wait
    circulation.give_back(out[0])
    after = {r["id"]: circulation.get(r["id"]) for r in line}
    first, rest = line[0], line[1:]
    assert after[first["id"]]["status"] == "approved" and after[first["id"]]["ready_at"]
    assert {after[r["id"]]["status"] for r in rest} == {"queued"}
    ready = circulation.events("ReservationReady")
    assert [e["payload"]["request"]["id"] for e in ready] == [first["id"]]
    # nobody overtakes: the second in line, approved by nobody else, cannot take the box
    status, body, _ = circulation.action(after[rest[0]["id"]], "check-out")
    assert status == 409 and body["type"].endswith("/request-state-conflict")
    again, _ = circulation.check_out(after[first["id"]])
    assert again["status"] == "checked_out"


def test_the_queue_hands_the_box_to_the_next_in_line_on_return(circulation, approved):
    box, first = approved
    out, _ = circulation.check_out(first)
    second = circulation.do(circulation.create(box["id"], who=OTHER_REQUESTER), "approve")
    assert second["status"] == "queued" and second["queued_at"]
    third = circulation.do(circulation.create(box["id"]), "approve")
    assert third["status"] == "queued"
    # Nobody overtakes: the queued request cannot be checked out while the box is out.
    status, body, _ = circulation.action(second, "check-out")
    assert status == 409 and body["type"].endswith("/request-state-conflict")

    circulation.give_back(out)
    second, third = circulation.get(second["id"]), circulation.get(third["id"])
    assert second["status"] == "approved" and second["ready_at"] and third["status"] == "queued"
    ready = circulation.events("ReservationReady")
    assert [e["payload"]["request"]["id"] for e in ready] == [second["id"]]
    # The third may not jump the queue while the second holds the box ready.
    again, _ = circulation.check_out(second)
    assert again["status"] == "checked_out"
