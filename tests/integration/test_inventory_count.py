"""A stock-take from stacks' events to the report: the real handlers, the real state machine in moto.

GIVEN boxes known from stacks' box events (fed through the SQS consumer, out of order and twice)
WHEN staff scan shelves and the campaign is counted by the stock-take state machine
THEN every expected box gets ok / misplaced / missing / checked_out and every stray barcode unexpected,
with counters per range and result, and a report as JSON, CSV and SVG.
"""
from __future__ import annotations

from tests.integration.inventory_world import ARCHIVIST, AUDITOR, MANAGER, SHELF_1, SHELF_2, SHELF_3, box_event




def _by_barcode(rows):
    return {row["barcode"]: row for row in rows}


def test_a_count_classifies_every_expected_box_and_every_stray_barcode(inventory, holdings):
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign, who=ARCHIVIST)
    # Shelf 1: A and B at home, D (home shelf 2) misplaced here, an unknown label, G (another repository).
    status, body, _ = inventory.scan(campaign, session, SHELF_1, ["BC-A", "BC-B", "BC-D", "BC-ZZZ", "BC-G", "BC-A"],
                                     who=ARCHIVIST)
    assert status == 200 and body["distinct"] == 5 and body["received"] == 6
    assert inventory.scan(campaign, session, SHELF_2, [])[0] == 200  # shelf 2 was empty (E is out on loan)

    counted = inventory.count_and_wait(campaign)

    assert counted["status"] == "counted" and counted["run"] == 1
    rows = _by_barcode(inventory.results(campaign["id"]))
    assert {b: r["result"] for b, r in rows.items()} == {
        "BC-A": "ok", "BC-B": "ok", "BC-C": "missing", "BC-D": "misplaced", "BC-E": "checked_out",
        "BC-F": "missing", "BC-ZZZ": "unexpected", "BC-G": "unexpected"}
    assert rows["BC-D"]["expected_at"] == SHELF_2 and rows["BC-D"]["found_at"] == SHELF_1
    assert rows["BC-G"]["box_id"] == "box-g" and rows["BC-ZZZ"]["box_id"] is None
    missing = inventory.results(campaign["id"], result="missing")
    assert sorted(r["barcode"] for r in missing) == ["BC-C", "BC-F"]

    report = inventory.ok("GET", "/inventory/campaigns/{campaign_id}/report", path={"campaign_id": campaign["id"]},
                          who=AUDITOR)
    assert report["totals"] == {"ok": 2, "misplaced": 1, "missing": 2, "unexpected": 2, "checked_out": 1}
    assert report["expected"] == 6
    assert {r["range"]: r["missing"] for r in report["ranges"]} == {"R01-01": 1, "R01-02": 1}
    assert [e["payload"]["totals"] for e in inventory.events("CampaignCounted")] == [report["totals"]]


def test_the_report_comes_as_csv_and_as_an_svg_chart(inventory, holdings):
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign)
    inventory.scan(campaign, session, SHELF_1, ["BC-A", "BC-B", "BC-C"])
    inventory.count_and_wait(campaign)

    status, csv_text, headers = inventory.call("GET", "/inventory/campaigns/{campaign_id}/report",
                                               path={"campaign_id": campaign["id"]}, query={"format": "csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    lines = csv_text.strip().split("\r\n")
    assert lines[0] == "range,ok,misplaced,missing,unexpected,checked_out,total"
    assert "R01-01,3,0,1,0,1,5" in lines and lines[-1] == "total,3,0,2,0,1,6"
    status, svg, headers = inventory.call("GET", "/inventory/campaigns/{campaign_id}/report",
                                          path={"campaign_id": campaign["id"]},
                                          headers={"Accept": "image/svg+xml"})
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    assert 'data-range="R01-01" data-result="ok" data-count="3"' in svg


def test_a_campaign_over_some_ranges_expects_only_their_boxes(inventory, holdings):
    campaign = inventory.campaign("R01", ranges=["R01-02"])
    session = inventory.session(campaign)
    assert inventory.scan(campaign, session, SHELF_1, ["BC-A"])[0] == 400  # outside the scope
    inventory.scan(campaign, session, SHELF_3, ["BC-F", "BC-A"])

    inventory.count_and_wait(campaign)

    rows = _by_barcode(inventory.results(campaign["id"]))
    assert {b: r["result"] for b, r in rows.items()} == {"BC-F": "ok", "BC-A": "unexpected"}


def test_rescanning_a_shelf_replaces_its_earlier_post(inventory, holdings):
    campaign = inventory.campaign("R01", ranges=["R01-01"])
    session = inventory.session(campaign)
    inventory.scan(campaign, session, SHELF_1, ["BC-A", "BC-B", "BC-C"])
    status, body, _ = inventory.scan(campaign, session, SHELF_1, ["BC-A", "BC-B"])  # the recount misses C
    assert status == 200 and body["replaced"] is True and body["dropped"] == 1
    inventory.scan(campaign, session, SHELF_2, ["BC-D"], batch=2)  # batches of a shelf add up

    inventory.count_and_wait(campaign)

    rows = _by_barcode(inventory.results(campaign["id"]))
    assert rows["BC-C"]["result"] == "missing" and rows["BC-D"]["result"] == "ok"


def test_many_pages_count_the_same_as_one(inventory, holdings, monkeypatch):
    from inventory import logic
    envelopes = [box_event("BoxPlaced", f"box-{i:03d}", f"BC-{i:03d}", 2, home=f"R01-03-{i % 4 + 1:02d}-1")
                 for i in range(60)]
    assert inventory.feed(envelopes) == {"batchItemFailures": []}
    monkeypatch.setattr(logic, "PAGE_SIZE", 7)
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign)
    for shelf in range(1, 5):
        found = [f"BC-{i:03d}" for i in range(60) if i % 4 + 1 == shelf and i % 5]
        inventory.scan(campaign, session, f"R01-03-{shelf:02d}-1", found)

    inventory.count_and_wait(campaign)

    report = inventory.ok("GET", "/inventory/campaigns/{campaign_id}/report", path={"campaign_id": campaign["id"]})
    r03 = next(r for r in report["ranges"] if r["range"] == "R01-03")
    assert (r03["ok"], r03["missing"]) == (48, 12)
    assert len(inventory.results(campaign["id"])) == 60 + 6  # and the six boxes of the fixture


def test_a_retried_page_is_not_counted_twice(inventory, holdings):
    from inventory import logic
    campaign = inventory.campaign("R01")
    inventory.session(campaign)
    started = inventory.count_and_wait(campaign)
    before = inventory.ok("GET", "/inventory/campaigns/{campaign_id}/report", path={"campaign_id": campaign["id"]})

    again = logic.compare_page("org-alpha", campaign["id"], started["run"], "R01-01", None, 0)

    assert again["compared"] == 5
    after = inventory.ok("GET", "/inventory/campaigns/{campaign_id}/report", path={"campaign_id": campaign["id"]})
    assert after["totals"] == before["totals"]


def test_scans_are_refused_once_the_count_started(inventory, holdings):
    campaign = inventory.campaign("R01")
    session = inventory.session(campaign)
    inventory.count_and_wait(campaign)
    snapshot = inventory.snapshot()

    status, body, headers = inventory.scan(campaign, session, SHELF_1, ["BC-A"])

    assert status == 409 and headers["content-type"] == "application/problem+json"
    assert inventory.snapshot() == snapshot


def test_a_failed_count_opens_the_campaign_again_with_the_error(inventory, holdings):
    real = inventory.aws.router.handlers["InventoryTasksFunction"]

    def faulty(event, context):
        if event.get("step") == "sweep_page":
            raise RuntimeError("injected fault")
        return real(event, context)

    inventory.aws.router.handlers["InventoryTasksFunction"] = faulty
    campaign = inventory.campaign("R01")
    status, body, _ = inventory.count(campaign)
    assert status == 202 and body["status"] == "counting"

    execution = inventory.wait(f"count-{campaign['id']}-1")

    assert execution["status"] == "FAILED"
    after = inventory.get(campaign["id"])
    assert after["status"] == "open" and "injected fault" in after["last_error"]
    inventory.aws.router.handlers["InventoryTasksFunction"] = real
    assert inventory.count_and_wait(after)["run"] == 2  # and it can be counted again


def test_only_managers_count_and_a_stale_etag_is_412(inventory, holdings):
    campaign = inventory.campaign("R01")
    assert inventory.count(campaign, who=ARCHIVIST)[0] == 403
    stale = dict(campaign, version=campaign["version"] + 5)
    assert inventory.count(stale)[0] == 412
    assert inventory.get(campaign["id"])["status"] == "open"
    assert inventory.get(campaign["id"], who=MANAGER)["run"] == 0


def test_stacks_own_events_feed_the_count(aws, monkeypatch):
    """The envelopes the stacks handler really stages (register, place, move, report missing)."""
    from tests.integration.inventory_world import make_world
    from tests.integration.stacks_world import Stacks, _serialise_moto_writes
    monkeypatch.setenv("TABLE_NAME", "stacks")
    _serialise_moto_writes(monkeypatch)
    stacks = Stacks(aws)
    stacks.repository("R01")
    shelf_profile, box_profile = stacks.shelf_profile(), stacks.box_profile()
    stacks.range_("R01", 1, shelf_profile["id"])
    placed = {}
    for code, shelf in (("SB-1", SHELF_1), ("SB-2", SHELF_1), ("SB-3", SHELF_2)):
        box = stacks.box(code, box_profile["id"])
        status, body, _ = stacks.place(box, shelf)
        assert status == 200, body
        placed[code] = body["box"] if "box" in body else stacks.get_box(box["id"])
    moved = stacks.place(stacks.get_box(placed["SB-2"]["id"]), SHELF_2)
    assert moved[0] == 200
    envelopes = stacks.outbox()
    assert {"BoxRegistered", "BoxPlaced", "BoxMoved"} <= {e["type"] for e in envelopes}

    world = make_world(aws, monkeypatch)  # from here on, TABLE_NAME is inventory's
    assert world.feed(list(reversed(envelopes))) == {"batchItemFailures": []}
    campaign = world.campaign("R01")
    session = world.session(campaign)
    world.scan(campaign, session, SHELF_1, ["SB-1", "SB-2"])

    world.count_and_wait(campaign)

    rows = {r["barcode"]: r["result"] for r in world.results(campaign["id"])}
    assert rows == {"SB-1": "ok", "SB-2": "misplaced", "SB-3": "missing"}

