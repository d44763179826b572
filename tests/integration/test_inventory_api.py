"""Inventory's API through the real handler: findings and closing, idempotency, other organisations,
bad input, the schedule job and the holdings read model fed by stacks' events."""
from __future__ import annotations

import json

import pytest

from tests.integration.inventory_world import (ARCHIVIST, AUDITOR, MANAGER, ORG, OTHER_MANAGER, OTHER_ORG, REQUESTER,
                                               SHELF_1, box_event)
from tests.support.events import partner

CAMPAIGN_PATH = "/inventory/campaigns/{campaign_id}"


def finding(inventory, campaign, who=ARCHIVIST, key=None, **body):
    body = {"box_id": "box-a", "location_id": SHELF_1, "conditions": ["mould"], "note": "spots on the lid",
            "owner": "u-conservator"} | body
    return inventory.call("POST", CAMPAIGN_PATH + "/findings", path={"campaign_id": campaign["id"]}, body=body,
                          who=who, headers={"Idempotency-Key": key} if key else None)


def close(inventory, campaign):
    return inventory.call("POST", CAMPAIGN_PATH + "/close", path={"campaign_id": campaign["id"]},
                          headers={"If-Match": f'"{campaign["version"]}"'})


def decide(inventory, campaign, found, who=MANAGER, **changes):
    return inventory.call("PATCH", CAMPAIGN_PATH + "/findings/{finding_id}",
                          path={"campaign_id": campaign["id"], "finding_id": found["id"]}, body=changes, who=who,
                          headers={"If-Match": f'"{found["version"]}"'})


# ------------------------------------------------------------ findings and closing
def test_a_campaign_closes_only_when_every_finding_has_a_decision(inventory, holdings):
    campaign = inventory.campaign("R01")
    status, found, _ = finding(inventory, campaign)
    assert status == 201 and found["task"] == {"owner": "u-conservator", "status": "open", "decision": None,
                                                "decision_note": None}
    assert close(inventory, campaign)[0] == 409  # not counted yet
    counted = inventory.count_and_wait(campaign)
    assert counted["undecided_findings"] == 1

    status, problem, headers = close(inventory, counted)
    assert status == 409 and headers["content-type"] == "application/problem+json"
    assert found["id"] in problem["detail"]
    assert inventory.get(campaign["id"])["status"] == "counted"

    assert decide(inventory, campaign, found, who=ARCHIVIST, decision="conservation")[0] == 403
    status, progressed, _ = decide(inventory, campaign, found, who=ARCHIVIST, status="in_progress")
    assert status == 200 and progressed["task"]["status"] == "in_progress"
    status, decided, _ = decide(inventory, campaign, progressed, decision="conservation", decision_note="to the lab")
    assert status == 200 and decided["task"]["decision"] == "conservation"

    status, closed, _ = close(inventory, inventory.get(campaign["id"]))
    assert status == 200 and closed["status"] == "closed" and closed["undecided_findings"] == 0
    assert [e["type"] for e in inventory.events("CampaignClosed")] == ["CampaignClosed"]
    assert finding(inventory, closed)[0] == 409  # a closed campaign takes no more findings


def test_a_task_cannot_jump_back_from_done_to_open(inventory, holdings):
    campaign = inventory.campaign("R01")
    found = finding(inventory, campaign)[1]
    done = decide(inventory, campaign, found, status="done", decision="no_action")[1]
    status, problem, _ = decide(inventory, campaign, done, status="open")
    assert status == 409 and "done to open" in problem["detail"]


# ------------------------------------------------------------------- idempotency
def test_replaying_posts_with_the_same_key_creates_nothing_new(inventory, holdings):
    body = {"name": "Spring count", "scope": {"repository_id": "R01"}}
    first = inventory.call("POST", "/inventory/campaigns", body=body, headers={"Idempotency-Key": "camp-1"})
    snapshot = inventory.snapshot()
    again = inventory.call("POST", "/inventory/campaigns", body=body, headers={"Idempotency-Key": "camp-1"})
    assert first[0] == again[0] == 201 and first[1]["id"] == again[1]["id"]
    assert again[2]["idempotent-replayed"] == "true"
    assert inventory.snapshot() == snapshot
    campaign = first[1]

    sess = [inventory.call("POST", CAMPAIGN_PATH + "/sessions", path={"campaign_id": campaign["id"]}, body={},
                           headers={"Idempotency-Key": "sess-1"}) for _ in range(2)]
    assert sess[0][1]["id"] == sess[1][1]["id"]
    scan = {"location_id": SHELF_1, "barcodes": ["BC-A", "BC-B"]}
    posts = [inventory.call("POST", CAMPAIGN_PATH + "/sessions/{session_id}/scans",
                            path={"campaign_id": campaign["id"], "session_id": sess[0][1]["id"]}, body=scan,
                            headers={"Idempotency-Key": "scan-1"}) for _ in range(2)]
    assert posts[0][1] == posts[1][1] and posts[1][2]["idempotent-replayed"] == "true"
    findings = [finding(inventory, campaign, key="find-1") for _ in range(2)]
    assert findings[0][1]["id"] == findings[1][1]["id"]
    assert inventory.get(campaign["id"])["findings"] == 1
    assert len([k for k in inventory.snapshot() if k[1].startswith("CAMPAIGN#")]) == 1
    other = inventory.call("POST", "/inventory/campaigns", body={**body, "name": "Other"},
                           headers={"Idempotency-Key": "camp-1"})
    assert other[0] == 422


# --------------------------------------------------------- other organisations
def test_another_organisations_campaign_is_unreachable_on_every_route(inventory, holdings):
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign)
    found = finding(inventory, campaign)[1]
    ids = {"campaign_id": campaign["id"], "session_id": session["id"], "finding_id": found["id"]}
    routes = [
        ("GET", CAMPAIGN_PATH, None, {}), ("POST", CAMPAIGN_PATH + "/sessions", {}, {}),
        ("GET", CAMPAIGN_PATH + "/sessions", None, {}),
        ("POST", CAMPAIGN_PATH + "/sessions/{session_id}/scans", {"location_id": SHELF_1, "barcodes": ["BC-A"]}, {}),
        ("POST", CAMPAIGN_PATH + "/count", None, {"If-Match": '"1"'}), ("GET", CAMPAIGN_PATH + "/results", None, {}),
        ("GET", CAMPAIGN_PATH + "/report", None, {}), ("POST", CAMPAIGN_PATH + "/findings",
                                                       {"box_id": "box-a", "conditions": ["faded"]}, {}),
        ("GET", CAMPAIGN_PATH + "/findings", None, {}), ("GET", CAMPAIGN_PATH + "/findings/{finding_id}", None, {}),
        ("PATCH", CAMPAIGN_PATH + "/findings/{finding_id}", {"decision": "monitor"}, {"If-Match": '"1"'}),
        ("POST", CAMPAIGN_PATH + "/close", None, {"If-Match": '"1"'}),
    ]
    snapshot = inventory.snapshot()
    for method, path, body, headers in routes:
        names = [n for n in ids if "{" + n + "}" in path]
        status, problem, _ = inventory.call(method, path, path={n: ids[n] for n in names}, body=body,
                                            who=OTHER_MANAGER, headers=headers)
        assert status == 404, (method, path, status, problem)
        assert problem["type"].endswith("/not-found")
    assert inventory.snapshot() == snapshot
    assert inventory.ok("GET", "/inventory/campaigns", who=OTHER_MANAGER)["items"] == []


def test_roles_decide_who_may_do_what(inventory, holdings):
    assert inventory.call("POST", "/inventory/campaigns", body={"name": "x", "scope": {"repository_id": "R01"}},
                          who=ARCHIVIST)[0] == 403
    campaign = inventory.campaign("R01")
    assert inventory.call("GET", CAMPAIGN_PATH, path={"campaign_id": campaign["id"]}, who=AUDITOR)[0] == 200
    assert inventory.call("GET", CAMPAIGN_PATH, path={"campaign_id": campaign["id"]}, who=REQUESTER)[0] == 403
    assert inventory.call("POST", CAMPAIGN_PATH + "/sessions", path={"campaign_id": campaign["id"]}, body={},
                          who=AUDITOR)[0] == 403


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("body, field", [
    ({"location_id": "R01-01-01", "barcodes": ["BC-A"]}, "location_id"),  # a section, not a shelf
    ({"location_id": "R02-01-01-1", "barcodes": ["BC-A"]}, "location_id"),  # outside the scope
])  # the schema's own refusals: tests/unit/test_inventory_input.py
def test_bad_scans_are_a_400_problem_and_write_nothing(inventory, holdings, body, field):
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign)
    snapshot = inventory.snapshot()
    status, problem, headers = inventory.call("POST", CAMPAIGN_PATH + "/sessions/{session_id}/scans",
                                              path={"campaign_id": campaign["id"], "session_id": session["id"]},
                                              body=body)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["field"] == field
    assert inventory.snapshot() == snapshot


@pytest.mark.parametrize("body, status", [
    ({"scope": {"repository_id": "R01"}}, 400),
])  # the schema's own refusals: tests/unit/test_inventory_input.py
def test_bad_campaigns_are_refused_and_write_nothing(inventory, body, status):
    snapshot = inventory.snapshot()
    got, problem, _ = inventory.call("POST", "/inventory/campaigns", body=body)
    assert got == status and problem["type"].startswith("https://records.example/problems/")
    assert inventory.snapshot() == snapshot


def test_malformed_json_and_unknown_ids_are_problems(inventory):
    assert inventory.call("POST", "/inventory/campaigns", raw_body="{nope")[0] == 400
    assert inventory.call("GET", CAMPAIGN_PATH, path={"campaign_id": "x" * 300})[0] == 404
    assert inventory.call("GET", CAMPAIGN_PATH + "/results", path={"campaign_id": "nope"},
                          query={"result": "lost"})[0] == 400
    assert inventory.call("POST", "/inventory/cycles", body={"repository_id": "R01", "cycle_years": 0})[0] == 400


def test_campaigns_and_cycles_need_a_repository_of_the_callers_organisation(inventory):
    """Issue 13 §4: a campaign (201) and a cycle (200) were accepted for a repository the caller's
    organisation does not have. Inventory knows repositories from stacks' events (its read model)."""
    inventory.repositories("R05", org_id=OTHER_ORG)  # another organisation's repository
    snapshot = inventory.snapshot()
    for repository in ("R09", "R05"):
        status, problem, _ = inventory.call("POST", "/inventory/campaigns",
                                            body={"name": "Count", "scope": {"repository_id": repository}})
        assert status == 404 and problem["type"].endswith("/not-found"), problem
        assert problem["errors"] == [{"field": "repository_id", "message": "unknown repository"}]
        status, problem, _ = inventory.call("POST", "/inventory/cycles", body={"repository_id": repository})
        assert status == 404 and problem["type"].endswith("/not-found"), problem
    assert inventory.snapshot() == snapshot

    inventory.repositories("R09")  # stacks' RepositoryCreated arrives: now it is known
    assert inventory.campaign("R09")["scope"]["repository_id"] == "R09"
    status, cycle, _ = inventory.call("POST", "/inventory/cycles", body={"repository_id": "R09"})
    assert status == 201 and cycle["repository_id"] == "R09"
    # the other organisation has its own R05, not ours
    assert inventory.campaign("R05", who=OTHER_MANAGER)["scope"]["repository_id"] == "R05"


def test_repository_events_are_applied_once_and_updates_also_say_it_exists(inventory):
    from inventory.data import campaigns as store
    from tests.integration.inventory_world import repository_event
    created = repository_event("R03")
    assert inventory.feed([created, created, repository_event("R04", type_="RepositoryUpdated")]) == {
        "batchItemFailures": []}
    assert store.repository_known(ORG, "R03") and store.repository_known(ORG, "R04")
    assert not store.repository_known(OTHER_ORG, "R03")
    items = [i for i in inventory.items() if i["sk"]["S"] == "REPOSITORY"]
    assert sorted(i["pk"]["S"] for i in items) == [f"ORG#{ORG}#REPO#R03", f"ORG#{ORG}#REPO#R04"]


# ------------------------------------------------------------------ the schedule
def test_the_schedule_opens_a_campaign_for_each_due_cycle_once(inventory):
    from inventory import tasks
    from tests.support.events import FakeLambdaContext
    inventory.repositories("R01", "R02")
    # issue 13 §4: a cycle was created with 200; now 201 (and its Location), 200 when it replaces one
    status, never, headers = inventory.call("POST", "/inventory/cycles", body={"repository_id": "R01"})
    assert status == 201 and headers["location"].endswith("/inventory/cycles/R01"), (status, never)
    assert never["next_due_on"] <= "2100-01-01" and never["cycle_years"] == 4
    assert inventory.ok("GET", "/inventory/cycles/{repository_id}", path={"repository_id": "R01"}) == never
    later = inventory.ok("POST", "/inventory/cycles", body={"repository_id": "R02", "cycle_years": 3,
                                                            "last_counted_on": "2025-06-01"}, expect=201)
    later = inventory.ok("POST", "/inventory/cycles", body={"repository_id": "R02", "cycle_years": 4,
                                                            "last_counted_on": "2025-06-01"}, expect=200)
    assert later["next_due_on"] == "2029-06-01" and later["version"] == 2
    assert inventory.call("GET", "/inventory/cycles/{repository_id}", path={"repository_id": "R02"},
                          who=OTHER_MANAGER)[0] == 404

    first = tasks.handler({"job": "open_due_campaigns"}, FakeLambdaContext())
    again = tasks.handler({"job": "open_due_campaigns"}, FakeLambdaContext())

    assert len(first["opened"]) == 1 and again["opened"] == []
    campaign = inventory.get(first["opened"][0])
    assert campaign["scope"] == {"repository_id": "R01", "ranges": []} and campaign["opened_by_schedule"] is True
    cycles = {c["repository_id"]: c for c in inventory.ok("GET", "/inventory/cycles")["items"]}
    assert cycles["R01"]["open_campaign_id"] == campaign["id"]
    in_2029 = tasks.handler({"job": "open_due_campaigns", "today": "2029-06-01"}, FakeLambdaContext())
    assert len(in_2029["opened"]) == 1  # R02 falls due; R01 has its campaign open

    inventory.session(campaign)
    counted = inventory.count_and_wait(campaign)
    assert close(inventory, counted)[0] == 200
    cycle = {c["repository_id"]: c for c in inventory.ok("GET", "/inventory/cycles")["items"]}["R01"]
    assert cycle["open_campaign_id"] is None and cycle["last_counted_on"] is not None
    assert int(cycle["next_due_on"][:4]) == int(cycle["last_counted_on"][:4]) + 4


# ------------------------------------------------------------ the holdings read model
def test_the_read_model_keeps_the_newest_version_of_each_box(inventory):
    from inventory.data import campaigns as store
    placed = box_event("BoxPlaced", "box-x", "BC-X", 2, home="R01-01-01-1")
    moved = box_event("BoxMoved", "box-x", "BC-X", 3, home="R01-02-01-1")
    relabelled = box_event("BoxUpdated", "box-x", "BC-X2", 4, home="R01-02-01-1")

    assert inventory.feed([relabelled, placed, moved, placed]) == {"batchItemFailures": []}

    holding = store.get_holding("org-alpha", "box-x")
    assert (holding.version, holding.home_id, holding.barcode) == (4, "R01-02-01-1", "BC-X2")
    assert set(store.boxes_by_barcode("org-alpha", ["BC-X", "BC-X2"])) == {"BC-X2"}
    page, _ = store.holdings_page("org-alpha", "R01-02", None, 10)
    assert [h.box_id for h in page] == ["box-x"]
    assert store.holdings_page("org-alpha", "R01-01", None, 10)[0] == []


def test_a_poison_message_fails_alone(inventory):
    good = box_event("BoxPlaced", "box-y", "BC-Y", 2, home="R01-01-01-1")
    event = {"Records": [{**rec} for rec in __import__("tests.integration.inventory_world", fromlist=["sqs_event"])
             .sqs_event([good, good])["Records"]]}
    event["Records"][1]["body"] = json.dumps({"detail": "not an envelope"})
    from inventory.consumer import handler
    from tests.support.events import FakeLambdaContext
    result = handler(event, FakeLambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    from inventory.data import campaigns as store
    assert store.get_holding("org-alpha", "box-y").home_id == "R01-01-01-1"


def test_other_capabilities_events_and_other_organisations_stay_apart(inventory):
    from inventory.data import campaigns as store
    foreign = box_event("BoxPlaced", "box-z", "BC-Z", 2, home="R01-01-01-1", org_id=OTHER_ORG)
    not_stacks = dict(box_event("BoxPlaced", "box-q", "BC-Q", 2, home="R01-01-01-1"), source="records.identity")
    assert inventory.feed([foreign, not_stacks]) == {"batchItemFailures": []}
    assert store.get_holding("org-alpha", "box-z") is None and store.get_holding("org-alpha", "box-q") is None
    assert store.get_holding(OTHER_ORG, "box-z").barcode == "BC-Z"


def test_the_worklist_of_a_shelf_or_range_comes_from_the_read_model(inventory, holdings):
    shelf = inventory.ok("GET", "/inventory/expected", query={"location_id": SHELF_1}, who=ARCHIVIST)
    assert sorted(h["barcode"] for h in shelf["items"]) == ["BC-A", "BC-B", "BC-C"]
    first = inventory.ok("GET", "/inventory/expected", query={"location_id": "R01-01", "limit": "3"})
    rest = inventory.ok("GET", "/inventory/expected", query={"location_id": "R01-01",
                                                             "cursor": first["next_cursor"]})
    assert len(first["items"]) == 3 and len(rest["items"]) == 2  # A, B, C on shelf 1; D, E on shelf 2
    assert inventory.call("GET", "/inventory/expected", query={"location_id": "R01-02",
                                                               "cursor": first["next_cursor"]})[0] == 400
    assert inventory.call("GET", "/inventory/expected", query={})[0] == 400
    assert inventory.ok("GET", "/inventory/expected", query={"location_id": SHELF_1},
                        who=OTHER_MANAGER)["items"] == []


def test_a_finding_by_label_names_the_box_the_read_model_knows(inventory, holdings):
    campaign = inventory.campaign("R01")
    body = {"barcode": "BC-D", "conditions": ["faded", "faded"]}
    status, by_label, _ = inventory.call("POST", CAMPAIGN_PATH + "/findings", path={"campaign_id": campaign["id"]},
                                         body=body, who=ARCHIVIST)
    assert status == 201 and by_label["box_id"] == "box-d" and by_label["conditions"] == ["faded"]
    [recorded] = inventory.events("ConditionFindingRecorded")
    assert {"kind": "box", "id": "box-d", "org_id": "org-alpha"} in recorded["subjects"]


def test_a_label_read_on_two_shelves_counts_where_it_was_read_last(inventory, holdings):
    campaign = inventory.campaign("R01", ranges=["R01-01"])
    session = inventory.session(campaign)
    inventory.scan(campaign, session, "R01-01-01-2", ["BC-A", "BC-D"])  # A read on shelf 2 first ...
    inventory.scan(campaign, session, SHELF_1, ["BC-A", "BC-B", "BC-C"])  # ... then at home
    inventory.scan(campaign, session, "R01-01-01-2", ["BC-D"])  # shelf 2 recounted without A: A stays at home

    inventory.count_and_wait(campaign)

    rows = {r["barcode"]: r for r in inventory.results(campaign["id"])}
    assert rows["BC-A"]["result"] == "ok" and rows["BC-D"]["result"] == "ok"


# ------------------------------------------------------------ partner scanners
def test_a_partner_scanner_posts_shelves_to_the_session_bound_to_its_client(inventory, holdings):
    campaign = inventory.campaign("R01", ranges=["R01-01"])
    bound = inventory.ok("POST", CAMPAIGN_PATH + "/sessions", path={"campaign_id": campaign["id"]},
                         body={"device": "HS-07", "partner_client_id": "scanner-1"}, expect=201)
    scanner = partner("scanner-1", ORG, ["scans:write"])
    staff_only = inventory.session(campaign)
    route = "/inventory/scanner/sessions/{session_id}/scans"
    scan = {"location_id": SHELF_1, "barcodes": ["BC-A", "BC-B", "BC-C"]}
    snapshot = inventory.snapshot()

    assert inventory.call("POST", route, path={"session_id": bound["id"]}, body=scan, who=None,
                          as_partner=partner("other-scanner", ORG, ["scans:write"]))[0] == 403
    assert inventory.call("POST", route, path={"session_id": bound["id"]}, body=scan, who=None,
                          as_partner=partner("scanner-1", ORG, ["directory:read"]))[0] == 403  # not its scope
    assert inventory.call("POST", route, path={"session_id": staff_only["id"]}, body=scan, who=None,
                          as_partner=scanner)[0] == 404
    assert inventory.call("POST", route, path={"session_id": bound["id"]}, body=scan, who=None,
                          as_partner=partner("scanner-1", OTHER_ORG, ["scans:write"]))[0] == 404
    assert inventory.call("POST", route, path={"session_id": bound["id"]}, body=scan, who=None)[0] == 401
    assert inventory.snapshot() == snapshot

    status, accepted, _ = inventory.call("POST", route, path={"session_id": bound["id"]}, body=scan, who=None,
                                         as_partner=scanner)
    assert status == 200 and accepted["distinct"] == 3 and accepted["campaign_id"] == campaign["id"]
    inventory.count_and_wait(campaign)
    rows = {r["barcode"]: r["result"] for r in inventory.results(campaign["id"])}
    assert (rows["BC-A"], rows["BC-D"]) == ("ok", "missing")
