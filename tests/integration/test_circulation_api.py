"""Circulation's routes: rules, refusals, other organisations, replays, the register and the jobs."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from tests.integration.circulation_world import (AUDITOR, MANAGER, OTHER_MANAGER, OTHER_REQUESTER, REQUESTER, day,
                                                 request_body)
from tests.support.events import FakeLambdaContext


@pytest.fixture
def box(circulation, shelves):
    return circulation.shelved_box("BX-0001", shelves["box_profile"])


def test_a_box_circulation_has_not_heard_of_is_refused(circulation, shelves):
    status, body, _ = circulation.call("POST", "/circulation/requests", who=REQUESTER,
                                       body=request_body("no-such-box"))
    assert status == 422 and body["type"].endswith("/unknown-box")
    assert circulation.snapshot() == []


@pytest.mark.parametrize("change, status, problem", [
    ({"purpose": "lunch"}, 400, "validation-failed"),  # the schema's own refusals: tests/unit/test_circulation_input.py
    ({"period": {"from": day(-1), "until": day(3)}}, 400, "validation-failed"),
    ({"period": {"from": day(5), "until": day(2)}}, 400, "validation-failed"),
    ({"period": {"from": day(1), "until": day(60)}}, 422, "circulation-policy-refused"),
    ({"purpose": "exhibition", "destination": {"kind": "exhibition"}}, 422, "circulation-policy-refused"),
    ({"purpose": "reading", "destination": {"kind": "exhibition"}}, 422, "circulation-policy-refused"),
])
def test_bad_requests_are_refused_and_write_nothing(circulation, box, change, status, problem):
    before = circulation.snapshot()
    got, body, headers = circulation.call("POST", "/circulation/requests", who=REQUESTER,
                                          body={**request_body(box["id"]), **change})
    assert got == status and body["type"].endswith("/" + problem), body
    assert headers["content-type"] == "application/problem+json"
    assert circulation.snapshot() == before


def test_the_retention_the_stacks_publish_decides_what_may_go_to_an_exhibition(circulation, shelves):
    from tests.integration.stacks_world import MANAGER as STACK_MANAGER

    short = circulation.shelved_box("BX-SHORT", shelves["box_profile"], retention="10y")
    unknown = circulation.shelved_box("BX-UNKNOWN", shelves["box_profile"])
    assert short["retention"] == "10y" and unknown["retention"] is None
    created = circulation.create(short["id"], purpose="exhibition", kind="exhibition")
    assert created["status"] == "requested"
    # A requester's declaration cannot open the door for a box of unknown retention.
    status, body, _ = circulation.call("POST", "/circulation/requests", who=REQUESTER, body=request_body(
        unknown["id"], purpose="exhibition", kind="exhibition", retention="1y"))
    assert status == 422 and body["rule"] == "long_retention_purpose"
    # Nor loosen a known one; and when the stacks change the retention, circulation follows.
    status, body, _ = circulation.call("POST", "/circulation/requests", who=REQUESTER, body=request_body(
        short["id"], purpose="exhibition", kind="exhibition", retention="permanent"))
    assert status == 422
    changed = circulation.stacks.call("PATCH", "/boxes/{box_id}", path={"box_id": short["id"]}, who=STACK_MANAGER,
                                      body={"retention": "permanent"}, headers={"If-Match": f'"{short["version"]}"'})
    assert changed[0] == 200 and changed[1]["retention"] == "permanent"
    circulation.sync_boxes()
    status, body, _ = circulation.call("POST", "/circulation/requests", who=REQUESTER, body=request_body(
        short["id"], purpose="exhibition", kind="exhibition"))
    assert status == 422 and body["rule"] == "long_retention_purpose"


def test_the_policy_is_the_organisations_own_and_versioned(circulation, box):
    policy = circulation.ok("GET", "/circulation/policy")
    assert policy["version"] == 0 and policy["long_retention_years"] == 30
    document = {k: policy[k] for k in ("max_period_days", "long_retention_years", "long_retention_purposes",
                                       "destinations", "allow_self_approval")}
    document["long_retention_purposes"] = [*document["long_retention_purposes"], "exhibition"]
    document["destinations"] = {**document["destinations"], "exhibition": ["exhibition"]}
    status, body, _ = circulation.call("PUT", "/circulation/policy", body=document, headers={"If-Match": '"1"'})
    assert status == 412
    status, body, headers = circulation.call("PUT", "/circulation/policy", body=document, headers={"If-Match": '"0"'})
    assert status == 200 and body["version"] == 1 and headers["etag"] == '"1"'
    assert circulation.create(box["id"], purpose="exhibition", kind="exhibition")["status"] == "requested"
    # Another organisation still has the defaults.
    assert circulation.ok("GET", "/circulation/policy", who=OTHER_MANAGER)["version"] == 0
    status, _, _ = circulation.call("PUT", "/circulation/policy", body=document, who=REQUESTER,
                                    headers={"If-Match": '"1"'})
    assert status == 403


def test_nobody_approves_their_own_request(circulation, box):
    own = circulation.create(box["id"], who=MANAGER | {"cognito:groups": "stack_manager,requester"})
    status, body, _ = circulation.action(own, "approve", who=MANAGER | {"cognito:groups": "stack_manager,requester"})
    assert status == 422 and body["type"].endswith("/circulation-policy-refused")
    assert circulation.get(own["id"])["status"] == "requested"


def test_decisions_need_a_stack_manager_and_the_current_version(circulation, box):
    request = circulation.create(box["id"])
    status, body, _ = circulation.action(request, "approve", who=REQUESTER)
    assert status == 403
    status, body, _ = circulation.call("POST", "/circulation/requests/{request_id}/approve",
                                       path={"request_id": request["id"]})
    assert status == 428
    status, body, _ = circulation.action({**request, "version": 9}, "approve")
    assert status == 412
    rejected = circulation.do(request, "reject", body={"reason": "The box is being conserved."})
    assert rejected["status"] == "rejected" and rejected["decision"]["reason"] == "The box is being conserved."
    status, body, _ = circulation.action(rejected, "approve")
    assert status == 409 and body["type"].endswith("/request-state-conflict")


def test_requesters_see_only_their_own_requests(circulation, box):
    mine = circulation.create(box["id"])
    theirs = circulation.create(box["id"], who=OTHER_REQUESTER)
    listed = circulation.ok("GET", "/circulation/requests", who=REQUESTER)["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    status, _, _ = circulation.call("GET", "/circulation/requests/{request_id}", path={"request_id": theirs["id"]},
                                    who=REQUESTER)
    assert status == 404
    everyone = circulation.ok("GET", "/circulation/requests", who=AUDITOR)["items"]
    assert {r["id"] for r in everyone} == {mine["id"], theirs["id"]}


@pytest.mark.parametrize("method, route, verb", [
    ("GET", "/circulation/requests/{request_id}", None),
    ("POST", "/circulation/requests/{request_id}/approve", "approve"),
    ("POST", "/circulation/requests/{request_id}/reject", "reject"),
    ("POST", "/circulation/requests/{request_id}/cancel", "cancel"),
    ("POST", "/circulation/requests/{request_id}/check-out", "check-out"),
    ("POST", "/circulation/requests/{request_id}/return", "return"),
])
def test_another_organisations_requests_are_unreachable(circulation, box, method, route, verb):
    request = circulation.create(box["id"])
    before = circulation.snapshot()
    body = {"reason": "no"} if verb == "reject" else {"condition": "good"} if verb == "return" else None
    status, problem, _ = circulation.call(method, route, path={"request_id": request["id"]}, who=OTHER_MANAGER,
                                          body=body, headers={"If-Match": '"1"'})
    assert status == 404 and problem["type"].endswith("/not-found")
    assert circulation.snapshot() == before
    assert circulation.ok("GET", "/circulation/requests", who=OTHER_MANAGER)["items"] == []
    assert circulation.ok("GET", "/circulation/register", who=OTHER_MANAGER)["items"] == []
    status, problem, _ = circulation.call("POST", "/circulation/requests", who=OTHER_MANAGER | {
        "cognito:groups": "requester"}, body=request_body(box["id"]))
    assert status == 422 and problem["type"].endswith("/unknown-box")  # another organisation's box is unknown


def test_replaying_a_post_with_the_same_idempotency_key_creates_nothing_new(circulation, box):
    key = {"Idempotency-Key": "req-2026-0001"}
    first = circulation.call("POST", "/circulation/requests", who=REQUESTER, body=request_body(box["id"]),
                             headers=key)
    again = circulation.call("POST", "/circulation/requests", who=REQUESTER, body=request_body(box["id"]),
                             headers=key)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2]["idempotent-replayed"] == "true"
    assert len(circulation.events("LoanRequested")) == 1
    other_body = circulation.call("POST", "/circulation/requests", who=REQUESTER,
                                  body=request_body(box["id"], note="changed"), headers=key)
    assert other_body[0] == 422

    approved = circulation.do(first[1], "approve")
    start = {"Idempotency-Key": "checkout-0001"}
    one = circulation.action(approved, "check-out", headers=start)
    two = circulation.action(approved, "check-out", headers=start)
    assert one[0] == two[0] == 202 and one[1] == two[1]
    circulation.wait("check-out", f"checkout-{one[1]['loan']['id']}")
    assert len(circulation.executions("check-out")) == 1
    assert len(circulation.events("CheckOutStarted")) == 1


def test_cancelling_a_ready_request_hands_the_box_on(circulation, box):
    first = circulation.do(circulation.create(box["id"]), "approve")
    out, _ = circulation.check_out(first)
    second = circulation.do(circulation.create(box["id"], who=OTHER_REQUESTER), "approve")
    third = circulation.do(circulation.create(box["id"]), "approve")
    circulation.give_back(out)
    second = circulation.get(second["id"])
    assert second["status"] == "approved" and second["ready_at"]
    cancelled = circulation.do(second, "cancel", who=OTHER_REQUESTER)
    assert cancelled["status"] == "cancelled"
    third = circulation.get(third["id"])
    assert third["status"] == "approved" and third["ready_at"]


def test_the_register_filters_by_period_box_and_person_and_exports_csv(circulation, shelves):
    one = circulation.shelved_box("BX-0001", shelves["box_profile"])
    two = circulation.shelved_box("BX-0002", shelves["box_profile"], shelf="R01-01-01-2")
    a, _ = circulation.check_out(circulation.do(circulation.create(one["id"]), "approve"))
    b, _ = circulation.check_out(circulation.do(circulation.create(two["id"], who=OTHER_REQUESTER), "approve"))
    circulation.give_back(a)

    everything = circulation.ok("GET", "/circulation/register")["items"]
    assert [(e["action"], e["box_id"]) for e in everything] == [
        ("check_out", one["id"]), ("check_out", two["id"]), ("return", one["id"])]
    by_box = circulation.ok("GET", "/circulation/register", query={"box_id": two["id"]})["items"]
    assert [e["requester"] for e in by_box] == ["u-reader-2"]
    by_person = circulation.ok("GET", "/circulation/register", query={"person": "u-reader"})["items"]
    assert {e["box_id"] for e in by_person} == {one["id"]} and len(by_person) == 2
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert circulation.ok("GET", "/circulation/register", query={"from": tomorrow})["items"] == []
    page = circulation.ok("GET", "/circulation/register", query={"limit": "2"})
    rest = circulation.ok("GET", "/circulation/register", query={"cursor": page["next_cursor"]})
    assert [e["at"] for e in page["items"] + rest["items"]] == [e["at"] for e in everything]

    status, text, headers = circulation.call("GET", "/circulation/register", query={"format": "csv"}, who=AUDITOR)
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["action"], r["box_barcode"]) for r in rows] == [
        ("check_out", "BX-0001"), ("check_out", "BX-0002"), ("return", "BX-0001")]
    status, _, _ = circulation.call("GET", "/circulation/register", who=REQUESTER)
    assert status == 403
    status, problem, _ = circulation.call("GET", "/circulation/register", query={"cursor": "bogus"})
    assert status == 400 and problem["type"].endswith("/invalid-cursor")
    status, _, _ = circulation.call("GET", "/circulation/register", query={"from": "yesterday"})
    assert status == 400


def test_overdue_loans_raise_one_event_per_loan_per_day(circulation, box):
    from circulation import logic
    from circulation.tasks import handler

    out, _ = circulation.check_out(circulation.do(circulation.create(box["id"]), "approve"))
    assert handler({"job": "detect_overdue"}, FakeLambdaContext())["overdue"] == 0  # due in a week
    late = date.fromisoformat(out["period"]["until"]) + timedelta(days=3)
    first = logic.detect_overdue(on=late)
    again = logic.detect_overdue(on=late)
    assert (first["overdue"], first["notified"]) == (1, 1)
    assert (again["overdue"], again["notified"], again["already"]) == (1, 0, 1)
    logic.detect_overdue(on=late + timedelta(days=1))
    overdue = circulation.events("LoanOverdue")
    assert [(e["payload"]["loan_id"], e["payload"]["days_overdue"]) for e in overdue] == [
        (out["loan"]["id"], 3), (out["loan"]["id"], 4)]
    circulation.give_back(out)
    assert logic.detect_overdue(on=late + timedelta(days=2))["overdue"] == 0


def test_a_saga_that_never_started_is_started_by_the_reconcile_job(circulation, box, monkeypatch):
    from datetime import datetime, timezone

    from circulation import logic
    from circulation.integration import workflows

    approved = circulation.do(circulation.create(box["id"]), "approve")

    def unavailable(*args, **kwargs):
        raise RuntimeError("Step Functions is unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(workflows, "start_check_out", unavailable)
        started = circulation.do(approved, "check-out", expect=202)
    assert started["status"] == "checking_out" and circulation.executions("check-out") == []
    assert logic.reconcile_sagas()["restarted"] == 0  # too recent: it may still be starting
    later = datetime.now(timezone.utc) + timedelta(minutes=11)
    assert logic.reconcile_sagas(now=later) == {"stuck": 1, "restarted": 1}
    circulation.wait("check-out", f"checkout-{started['loan']['id']}")
    assert circulation.get(approved["id"])["status"] == "checked_out"
