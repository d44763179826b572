"""The check-out and return sagas, end to end through both capabilities, with every compensation."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.circulation_world import (MANAGER, OTHER_REQUESTER, REQUESTER, InjectedFailure,  # noqa: F401
                                                 TransientError, circulation, shelves)


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
                                               "CheckedOut"]
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
