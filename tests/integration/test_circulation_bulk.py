"""Bulk decisions on check-out requests (POST /circulation/requests/decisions): each request decided
as its own approve or reject would be, with its own outcome; the list bounded and synchronous."""
from __future__ import annotations

import pytest

from tests.integration.circulation_world import MANAGER, OTHER_MANAGER, REQUESTER

DECISIONS = "/circulation/requests/decisions"


@pytest.fixture
def boxes(circulation, shelves):
    return [circulation.shelved_box(f"BX-{n:04d}", shelves["box_profile"]) for n in range(3)]


def test_many_approvals_each_get_their_own_outcome(circulation, boxes):
    first = [circulation.create(b["id"]) for b in boxes]
    second = circulation.create(boxes[0]["id"])  # the same box as first[0], decided after it
    rejected = circulation.create(boxes[1]["id"])
    circulation.do(rejected, "reject", body={"reason": "not now"})
    ids = [r["id"] for r in first] + [second["id"], rejected["id"], "no-such-request"]
    answer = circulation.ok("POST", DECISIONS, body={"decision": "approve", "request_ids": ids})
    assert answer["summary"] == {"approved": 4, "queued": 0, "rejected": 0, "failed": 2}
    outcome = {r["request_id"]: (r["outcome"], r.get("problem", {}).get("status")) for r in answer["results"]}
    assert [r["request_id"] for r in answer["results"]] == ids
    assert outcome[second["id"]] == ("approved", None)  # as its own approve would (nobody holds the box yet)
    assert outcome[rejected["id"]] == ("failed", 409) and outcome["no-such-request"] == ("failed", 404)
    for request in first:
        now = circulation.get(request["id"])
        assert now["status"] == "approved" and now["approver"]["user_id"] == "u-manager"
    assert len(circulation.events("LoanApproved")) == 4


def test_many_rejections_keep_the_reason_and_refuse_what_is_not_open(circulation, boxes):
    requests = [circulation.create(b["id"]) for b in boxes]
    circulation.do(requests[2], "cancel", who=REQUESTER)
    answer = circulation.ok("POST", DECISIONS, body={"decision": "reject", "reason": "reading room closed",
                                                     "request_ids": [r["id"] for r in requests]})
    assert [r["outcome"] for r in answer["results"]] == ["rejected", "rejected", "failed"]
    assert circulation.get(requests[0]["id"])["decision"]["reason"] == "reading room closed"


def test_bad_lists_refuse_the_whole_call_and_write_nothing(circulation, boxes):
    request = circulation.create(boxes[0]["id"])
    before = circulation.snapshot()
    for body in ({"decision": "approve", "request_ids": [request["id"], request["id"]]},
                 {"decision": "reject", "request_ids": [request["id"]]},  # no reason
                 {"decision": "approve", "request_ids": []},
                 {"decision": "approve", "request_ids": [f"r{n}" for n in range(51)]},
                 {"decision": "lend", "request_ids": [request["id"]]}):
        assert circulation.call("POST", DECISIONS, body=body)[0] == 400, body
    assert circulation.call("POST", DECISIONS, body={"decision": "approve", "request_ids": [request["id"]]},
                            who=REQUESTER)[0] == 403
    assert circulation.snapshot() == before


def test_another_organisations_requests_are_not_found(circulation, boxes):
    request = circulation.create(boxes[0]["id"])
    answer = circulation.ok("POST", DECISIONS, who=OTHER_MANAGER,
                            body={"decision": "approve", "request_ids": [request["id"]]})
    assert answer["results"][0]["problem"]["status"] == 404
    assert circulation.get(request["id"])["status"] == "requested"


def test_a_replay_with_the_same_key_returns_the_first_results(circulation, boxes):
    request = circulation.create(boxes[0]["id"])
    body = {"decision": "approve", "request_ids": [request["id"]]}
    key = {"Idempotency-Key": "decide-2025-07-01"}
    first = circulation.call("POST", DECISIONS, body=body, headers=key, who=MANAGER)
    again = circulation.call("POST", DECISIONS, body=body, headers=key, who=MANAGER)
    assert first[0] == again[0] == 200 and again[1] == first[1] and again[2]["idempotent-replayed"] == "true"
    assert len(circulation.events("LoanApproved")) == 1


def test_a_call_short_of_time_answers_with_what_it_did_not_decide(circulation, boxes):
    import json

    from circulation.app import handler
    from tests.support.events import FakeLambdaContext, api_event

    request = circulation.create(boxes[0]["id"])
    before = circulation.snapshot()

    class ShortOfTime(FakeLambdaContext):
        def get_remaining_time_in_millis(self):
            return 3_000

    event = api_event("POST", DECISIONS, body={"decision": "approve", "request_ids": [request["id"]]}, claims=MANAGER)
    answer = json.loads(handler(event, ShortOfTime())["body"])
    assert answer["results"][0]["outcome"] == "failed" and answer["results"][0]["problem"]["status"] == 503
    assert circulation.snapshot() == before and circulation.get(request["id"])["status"] == "requested"
