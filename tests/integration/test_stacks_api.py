"""Stacks over API Gateway events against moto: hierarchy, boxes, placement, bulk, concurrency,
organisation scoping, bad input and idempotency."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.stacks_world import ARCHIVIST, OTHER_MANAGER, ORG
from tests.support.events import claims


# ------------------------------------------------------------------ hierarchy
def test_a_range_is_created_with_its_sections_and_shelves_in_one_write(stacks):
    stacks.repository("R01")
    profile = stacks.shelf_profile()
    # Issue 13 §4, one convention: a create answers with the resource it made (was {location, created})
    created = stacks.range_("R01", 3, profile["id"], sections=2, shelves=4)
    assert created == stacks.ok("GET", "/locations/{location_id}", path={"location_id": "R01-03"})
    assert created["id"] == "R01-03" and created["parent_id"] == "R01" and created["kind"] == "range"
    # what the layout made with it: listed under it, and named by the one event of the write
    made = ["R01-03"]
    for kind in ("section", "shelf"):
        made += [loc["id"] for loc in stacks.ok("GET", "/repositories/{repository_id}/locations",
                                                path={"repository_id": "R01"},
                                                query={"kind": kind, "within": "R01-03", "limit": "50"})["items"]]
    assert len(made) == 1 + 2 + 2 * 4
    assert "R01-03-02-4" in made
    shelf = stacks.shelf("R01-03-02-4")
    assert shelf["kind"] == "shelf" and shelf["dimensions"]["width_mm"] == 1000
    assert shelf["occupancy"]["free_width_mm"] == 1000
    [event] = stacks.events("LocationCreated")
    assert sorted(event["payload"]["created"]) == sorted(made)
    assert {s["id"] for s in event["subjects"]} == set(made) | {"R01"}
    assert all(s["org_id"] == ORG for s in event["subjects"])
    # the same range again: refused, nothing half-written
    before = stacks.snapshot()
    status, body, _ = stacks.call("POST", "/locations", body={
        "kind": "range", "parent_id": "R01", "number": 3, "location_profile_id": profile["id"],
        "layout": {"sections": 3, "shelves_per_section": 4}})
    assert status == 409 and body["type"].endswith("/conflict")
    assert stacks.snapshot() == before


def test_locations_need_an_existing_active_parent_of_the_right_level(stacks):
    stacks.repository("R01")
    profile = stacks.shelf_profile()
    missing = stacks.call("POST", "/locations", body={"kind": "range", "parent_id": "R09", "number": 1})
    assert missing[0] == 400 and missing[1]["errors"][0]["field"] == "parent_id"
    wrong_level = stacks.call("POST", "/locations", body={"kind": "shelf", "parent_id": "R01", "number": 1,
                                                          "location_profile_id": profile["id"]})
    assert wrong_level[0] == 400
    no_profile = stacks.call("POST", "/locations", body={"kind": "range", "parent_id": "R01", "number": 1,
                                                         "layout": {"sections": 1, "shelves_per_section": 1}})
    assert no_profile[0] == 400 and no_profile[1]["errors"][0]["field"] == "location_profile_id"
    too_big = stacks.call("POST", "/locations", body={"kind": "range", "parent_id": "R01", "number": 1,
                                                      "location_profile_id": profile["id"],
                                                      "layout": {"sections": 20, "shelves_per_section": 10}})
    assert too_big[0] == 400 and too_big[1]["errors"][0]["field"] == "layout"
    stacks.ok("PATCH", "/repositories/{repository_id}", path={"repository_id": "R01"}, body={"status": "inactive"},
              headers={"If-Match": '"1"'})
    inactive = stacks.call("POST", "/locations", body={"kind": "range", "parent_id": "R01", "number": 1})
    assert inactive[0] == 409
    assert [e["type"] for e in stacks.outbox()].count("LocationCreated") == 0


def test_listing_locations_pages_in_shelf_order_and_narrows_to_a_section(stacks, laid_out):
    seen, cursor = [], None
    while True:
        body = stacks.ok("GET", "/repositories/{repository_id}/locations", path={"repository_id": "R01"},
                         query={"kind": "shelf", "limit": "4"} | ({"cursor": cursor} if cursor else {}))
        seen += [loc["id"] for loc in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"R01-01-0{s}-{h}" for s in (1, 2) for h in (1, 2, 3)]
    within = stacks.ok("GET", "/repositories/{repository_id}/locations", path={"repository_id": "R01"},
                       query={"kind": "shelf", "within": "R01-01-02"})
    assert [loc["id"] for loc in within["items"]] == ["R01-01-02-1", "R01-01-02-2", "R01-01-02-3"]
    ranges = stacks.ok("GET", "/repositories/{repository_id}/locations", path={"repository_id": "R01"})
    assert [loc["id"] for loc in ranges["items"]] == ["R01-01"]


def test_a_shelf_cannot_be_reprofiled_smaller_than_what_it_holds(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    for n in range(5):
        assert stacks.place(stacks.box(f"BX-{n:04d}", profile), "R01-01-01-1")[0] == 200
    narrow = stacks.shelf_profile(name="Narrow", width_mm=300)
    status, body, _ = stacks.call("PATCH", "/locations/{location_id}", path={"location_id": "R01-01-01-1"},
                                  body={"location_profile_id": narrow["id"]}, headers={"If-Match": '"1"'})
    assert status == 409, body
    assert stacks.shelf("R01-01-01-1")["dimensions"]["width_mm"] == 1000
    wide = stacks.shelf_profile(name="Wide", width_mm=1500)
    updated = stacks.ok("PATCH", "/locations/{location_id}", path={"location_id": "R01-01-01-1"},
                        body={"location_profile_id": wide["id"], "name": "Top left"}, headers={"If-Match": '"1"'})
    assert updated["dimensions"]["width_mm"] == 1500 and updated["occupancy"]["boxes"] == 5 and updated["version"] == 2


# ---------------------------------------------------------------------- boxes
def test_barcodes_and_rfid_tags_are_unique_in_the_organisation(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    first = stacks.box("BX-0001", profile, rfid="e2801160600002")
    assert first["status"] == "unplaced" and first["rfid"] == "E2801160600002"
    before = stacks.snapshot()
    dup = stacks.call("POST", "/boxes", body={"barcode": "BX-0001", "container_profile_id": profile,
                                              "producing_unit": "Finance Division", "record_form": "document"})
    assert dup[0] == 409 and dup[1]["errors"][0]["field"] == "barcode"
    dup_tag = stacks.call("POST", "/boxes", body={"barcode": "BX-0002", "rfid": "E2801160600002",
                                                  "container_profile_id": profile, "producing_unit": "Finance Division",
                                                  "record_form": "document"})
    assert dup_tag[0] == 409 and dup_tag[1]["errors"][0]["field"] == "rfid"
    stacks.ok("PATCH", "/locations/{location_id}", path={"location_id": "R01-01-01-1"}, body={"barcode": "SH-0001"},
              headers={"If-Match": '"1"'})
    shelf_label = stacks.call("POST", "/boxes", body={"barcode": "SH-0001", "container_profile_id": profile,
                                                      "producing_unit": "Finance Division", "record_form": "document"})
    assert shelf_label[0] == 409  # one namespace for shelf and box labels
    assert len([k for k in stacks.snapshot() if k[1] == "CLAIM"]) == len([k for k in before if k[1] == "CLAIM"]) + 1
    # the barcode is also how a scanner finds the box, and another organisation may use it too
    found = stacks.ok("GET", "/boxes", query={"barcode": "BX-0001"}, who=ARCHIVIST)
    assert [b["id"] for b in found["items"]] == [first["id"]]
    assert stacks.ok("GET", "/boxes", query={"rfid": "e2801160600002"})["items"][0]["id"] == first["id"]
    other_profile = stacks.box_profile(who=OTHER_MANAGER)
    assert stacks.box("BX-0001", other_profile["id"], who=OTHER_MANAGER)["barcode"] == "BX-0001"


def test_a_barcode_is_one_label_whatever_its_case(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    first = stacks.box("SECA-001", profile)

    dup = stacks.call("POST", "/boxes", body={"barcode": "seca-001", "container_profile_id": profile,
                                              "producing_unit": "Finance Division", "record_form": "document"})

    assert dup[0] == 409 and dup[1]["errors"][0]["field"] == "barcode"
    found = stacks.ok("GET", "/boxes", query={"barcode": "Seca-001"}, who=ARCHIVIST)
    assert [b["id"] for b in found["items"]] == [first["id"]]


def test_relabelling_a_box_frees_its_old_barcode(stacks, laid_out):
    box = stacks.box("BX-0001", laid_out["box_profile"]["id"])
    updated = stacks.ok("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]}, body={"barcode": "BX-0100"},
                        headers={"If-Match": '"1"'})
    assert updated["barcode"] == "BX-0100"
    assert stacks.box("BX-0001", laid_out["box_profile"]["id"])["barcode"] == "BX-0001"
    assert stacks.ok("GET", "/boxes", query={"barcode": "BX-0100"})["items"][0]["id"] == box["id"]


# ------------------------------------------------------------------ placement
def test_placing_and_moving_keep_counters_history_and_events(stacks, laid_out):
    box = stacks.box("BX-0001", laid_out["box_profile"]["id"])
    status, placed, headers = stacks.place(box, "R01-01-01-1", reason="accession 2025-14")
    assert status == 200 and placed["outcome"] == "placed" and headers["etag"] == '"2"'
    assert placed["box"]["status"] == "shelved" and placed["box"]["home_location_id"] == "R01-01-01-1"
    status, moved, _ = stacks.place(placed["box"], "R01-01-02-3", reason="regrouping")
    assert status == 200 and moved["outcome"] == "moved"
    source, target = stacks.shelf("R01-01-01-1"), stacks.shelf("R01-01-02-3")
    assert source["occupancy"]["boxes"] == 0 and source["occupancy"]["used_width_mm"] == 0
    assert source["occupancy"]["holdings"] == []
    assert target["occupancy"]["boxes"] == 1 and target["occupancy"]["used_weight_kg"] == 5
    assert target["occupancy"]["holdings"] == [{"record_form": "document", "producing_unit": "Finance Division",
                                                "boxes": 1}]
    history = stacks.ok("GET", "/boxes/{box_id}/history", path={"box_id": box["id"]}, who=ARCHIVIST)["items"]
    assert [(h["action"], (h["from"] or {}).get("id"), h["to"]["id"], h["reason"], h["by"]) for h in history] == [
        ("moved", "R01-01-01-1", "R01-01-02-3", "regrouping", "u-stacks"),
        ("placed", None, "R01-01-01-1", "accession 2025-14", "u-stacks")]
    for shelf_id, actions in (("R01-01-01-1", ["moved", "placed"]), ("R01-01-02-3", ["moved"])):
        entries = stacks.ok("GET", "/locations/{location_id}/history", path={"location_id": shelf_id})["items"]
        assert [e["action"] for e in entries] == actions
    [move] = stacks.events("BoxMoved")
    assert {(s["kind"], s["id"]) for s in move["subjects"]} == {
        ("box", box["id"]), ("shelf", "R01-01-01-1"), ("shelf", "R01-01-02-3")}
    assert move["payload"]["reason"] == "regrouping" and move["actor"]["user_id"] == "u-stacks"
    on_shelf = stacks.ok("GET", "/locations/{location_id}/boxes", path={"location_id": "R01-01-02-3"})
    assert [b["id"] for b in on_shelf["items"]] == [box["id"]]
    # the same shelf again: nothing changes
    status, same, _ = stacks.place(moved["box"], "R01-01-02-3")
    assert status == 200 and same["outcome"] == "unchanged" and same["box"]["version"] == moved["box"]["version"]


def test_a_full_shelf_refuses_with_409_and_nothing_is_written(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    for n in range(10):
        assert stacks.place(stacks.box(f"BX-{n:04d}", profile), "R01-01-01-1")[0] == 200
    extra = stacks.box("BX-0100", profile)
    before = stacks.snapshot()
    status, body, _ = stacks.place(extra, "R01-01-01-1")
    assert status == 409 and "full" in body["detail"]
    assert stacks.snapshot() == before
    assert stacks.get_box(extra["id"])["status"] == "unplaced"
    heavy = stacks.box("BX-0200", profile, weight_kg=99)
    assert stacks.place(heavy, "R01-01-01-2")[0] == 200
    status, body, _ = stacks.place(stacks.box("BX-0201", profile), "R01-01-01-2")
    assert status == 409 and "overloaded" in body["detail"]
    tall = stacks.box_profile(name="Tall", height_mm=400)
    status, body, _ = stacks.place(stacks.box("BX-0300", tall["id"]), "R01-01-01-3")
    assert status == 409 and "does not fit" in body["detail"]


def test_stale_or_missing_if_match_on_placement_changes_nothing(stacks, laid_out):
    box = stacks.box("BX-0001", laid_out["box_profile"]["id"])
    no_etag = stacks.call("PUT", "/boxes/{box_id}/placement", path={"box_id": box["id"]},
                          body={"location_id": "R01-01-01-1"})
    assert no_etag[0] == 428
    assert stacks.place({**box, "version": 7}, "R01-01-01-1")[0] == 412
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 0


def test_concurrent_placements_on_a_nearly_full_shelf_only_fill_it(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    for n in range(7):
        assert stacks.place(stacks.box(f"BX-{n:04d}", profile), "R01-01-01-1")[0] == 200
    contenders = [stacks.box(f"BX-1{n:03d}", profile) for n in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda b: stacks.place(b, "R01-01-01-1")[0], contenders))
    assert sorted(statuses) == [200] * 3 + [409] * 9
    shelf = stacks.shelf("R01-01-01-1")["occupancy"]
    assert shelf["boxes"] == 10 and shelf["used_width_mm"] == 1000 and shelf["free_width_mm"] == 0
    assert len(stacks.events("BoxPlaced")) == 10
    shelved = [b for b in (stacks.get_box(c["id"]) for c in contenders) if b["status"] == "shelved"]
    assert len(shelved) == 3


def test_removing_a_box_frees_its_space(stacks, laid_out):
    box = stacks.box("BX-0001", laid_out["box_profile"]["id"])
    placed = stacks.place(box, "R01-01-01-1")[1]["box"]
    removed = stacks.ok("DELETE", "/boxes/{box_id}/placement", path={"box_id": box["id"]},
                        query={"reason": "transfer to NAK"}, headers={"If-Match": f'"{placed["version"]}"'})
    assert removed["status"] == "unplaced" and removed["home_location_id"] is None
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 0
    assert stacks.events("BoxRemoved")[0]["payload"]["reason"] == "transfer to NAK"
    again = stacks.call("DELETE", "/boxes/{box_id}/placement", path={"box_id": box["id"]},
                        headers={"If-Match": f'"{removed["version"]}"'})
    assert again[0] == 409


def test_reported_missing_then_found_at_home(stacks, laid_out):
    box = stacks.place(stacks.box("BX-0001", laid_out["box_profile"]["id"]), "R01-01-01-1")[1]["box"]
    missing = stacks.ok("POST", "/boxes/{box_id}/status", path={"box_id": box["id"]},
                        body={"status": "missing", "reason": "not found at stock-taking"},
                        headers={"If-Match": f'"{box["version"]}"'})
    assert missing["status"] == "missing" and missing["current_location"] is None
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 1  # its space is held for it
    reserve = stacks.call("POST", "/boxes/{box_id}/status", path={"box_id": box["id"]}, body={"status": "unplaced"},
                          headers={"If-Match": f'"{missing["version"]}"'})
    assert reserve[0] == 409
    status, found, _ = stacks.place(missing, "R01-01-01-1")
    assert status == 200 and found["outcome"] == "found" and found["box"]["status"] == "shelved"
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 1


def test_regrouping_a_shelved_box_moves_its_holding(stacks, laid_out):
    box = stacks.place(stacks.box("BX-0001", laid_out["box_profile"]["id"]), "R01-01-01-1")[1]["box"]
    stacks.ok("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]}, body={"producing_unit": "Audit Office"},
              headers={"If-Match": f'"{box["version"]}"'})
    holdings = stacks.shelf("R01-01-01-1")["occupancy"]["holdings"]
    assert holdings == [{"record_form": "document", "producing_unit": "Audit Office", "boxes": 1}]
    resize = stacks.call("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]}, body={"weight_kg": 2},
                         headers={"If-Match": f'"{box["version"] + 1}"'})
    assert resize[0] == 409


# ----------------------------------------------------------------------- bulk
def test_bulk_placement_gives_every_box_its_own_result(stacks):
    stacks.repository("R01")
    shelf_profile = stacks.shelf_profile()
    box_profile = stacks.box_profile()["id"]
    stacks.range_("R01", 1, shelf_profile["id"], sections=19, shelves=1)  # 19 shelves of 10 boxes
    boxes = [stacks.box(f"BX-{n:04d}", box_profile) for n in range(195)]  # 196 placements: within the maximum
    shelves = [f"R01-01-{s:02d}-1" for s in range(1, 20)]
    placements = [{"box_id": b["id"], "location_id": shelves[n // 10]} for n, b in enumerate(boxes[:190])]
    placements += [{"box_id": b["id"], "location_id": "R01-01-01-1"} for b in boxes[190:]]  # already full by then
    placements.append({"box_id": "no-such-box", "location_id": "R01-01-02-1"})
    status, body, headers = stacks.call("POST", "/placements/bulk", body={"placements": placements,
                                                                           "reason": "transfer 2025-07"},
                                        headers={"Idempotency-Key": "bulk-2025-07"})
    assert status == 200, body
    assert body["summary"] == {"placed": 190, "moved": 0, "found": 0, "unchanged": 0, "failed": 6}
    results = body["results"]
    assert [r["box_id"] for r in results] == [p["box_id"] for p in placements]
    failed = [r for r in results if r["outcome"] == "failed"]
    assert {r["problem"]["status"] for r in failed} == {404, 409}
    occupancy = stacks.ok("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"})
    assert occupancy["totals"]["boxes"] == 190 and occupancy["totals"]["fill_ratio"] == 1.0
    assert len(stacks.events("BoxPlaced")) == 190
    # a retry with the same key replays the first answer and writes nothing
    before = stacks.snapshot()
    replay = stacks.call("POST", "/placements/bulk", body={"placements": placements, "reason": "transfer 2025-07"},
                         headers={"Idempotency-Key": "bulk-2025-07"})
    assert replay[0] == 200 and replay[1] == body and replay[2]["idempotent-replayed"] == "true"
    assert stacks.snapshot() == before
    # without a key, the same call is still harmless: placed boxes are unchanged
    again = stacks.ok("POST", "/placements/bulk", body={"placements": placements[:20]})
    assert again["summary"]["unchanged"] == 20 and len(stacks.events("BoxPlaced")) == 190


@pytest.mark.parametrize("placements, field", [
    ([{"box_id": "a", "location_id": "R01-01-01-1"}, {"box_id": "a", "location_id": "R01-01-01-2"}], "placements.1.box_id"),
])  # the schema's own refusals: tests/unit/test_stacks_input.py
def test_bad_bulk_input_refuses_the_whole_call(stacks, laid_out, placements, field):
    before = stacks.snapshot()
    status, body, _ = stacks.call("POST", "/placements/bulk", body={"placements": placements})
    assert status == 400 and body["errors"][0]["field"] == field
    assert stacks.snapshot() == before


# ------------------------------------------------------- roles and scoping
def test_readers_read_but_only_managers_change(stacks, laid_out):
    for role in ("archivist", "auditor", "requester"):
        reader = claims(f"u-{role}", ORG, [role])
        assert stacks.call("GET", "/repositories", who=reader)[0] == 200
        assert stacks.call("POST", "/boxes", who=reader, body={
            "barcode": "BX-9", "container_profile_id": laid_out["box_profile"]["id"],
            "producing_unit": "Finance Division", "record_form": "document"})[0] == 403
    admin = claims("u-admin", ORG, ["admin"])
    assert stacks.call("POST", "/repositories", who=admin, body={"code": "R02", "name": "Annex"})[0] == 201
    nobody = claims("u-x", None, ["stack_manager"])
    assert stacks.call("GET", "/repositories", who=nobody)[0] == 403


def test_another_organisations_ids_answer_404_everywhere(stacks, laid_out):
    box = stacks.place(stacks.box("BX-0001", laid_out["box_profile"]["id"]), "R01-01-01-1")[1]["box"]
    stacks.ok("POST", "/sensors", body={"sensor_id": "TH-1", "repository_id": "R01", "partner_client_id": "k1"},
              expect=201)
    lp, cp = laid_out["shelf_profile"]["id"], laid_out["box_profile"]["id"]
    etag = {"If-Match": '"1"'}
    calls = [
        ("GET", "/repositories/{repository_id}", {"repository_id": "R01"}, None, None),
        ("PATCH", "/repositories/{repository_id}", {"repository_id": "R01"}, {"name": "x"}, etag),
        ("GET", "/repositories/{repository_id}/locations", {"repository_id": "R01"}, None, None),
        ("GET", "/repositories/{repository_id}/occupancy", {"repository_id": "R01"}, None, None),
        ("GET", "/repositories/{repository_id}/environment", {"repository_id": "R01"}, None, None),
        ("GET", "/locations/{location_id}", {"location_id": "R01-01-01-1"}, None, None),
        ("PATCH", "/locations/{location_id}", {"location_id": "R01-01"}, {"name": "x"}, etag),
        ("GET", "/locations/{location_id}/boxes", {"location_id": "R01-01-01-1"}, None, None),
        ("GET", "/locations/{location_id}/history", {"location_id": "R01-01-01-1"}, None, None),
        ("GET", "/location-profiles/{profile_id}", {"profile_id": lp}, None, None),
        ("PATCH", "/location-profiles/{profile_id}", {"profile_id": lp}, {"name": "x"}, etag),
        ("GET", "/container-profiles/{profile_id}", {"profile_id": cp}, None, None),
        ("PATCH", "/container-profiles/{profile_id}", {"profile_id": cp}, {"name": "x"}, etag),
        ("GET", "/boxes/{box_id}", {"box_id": box["id"]}, None, None),
        ("PATCH", "/boxes/{box_id}", {"box_id": box["id"]}, {"title": "x"}, etag),
        ("PUT", "/boxes/{box_id}/placement", {"box_id": box["id"]}, {"location_id": "R01-01-01-2"}, etag),
        ("DELETE", "/boxes/{box_id}/placement", {"box_id": box["id"]}, None, etag),
        ("POST", "/boxes/{box_id}/status", {"box_id": box["id"]}, {"status": "missing"}, etag),
        ("GET", "/boxes/{box_id}/history", {"box_id": box["id"]}, None, None),
        ("GET", "/sensors/{sensor_id}", {"sensor_id": "TH-1"}, None, None),
        ("PATCH", "/sensors/{sensor_id}", {"sensor_id": "TH-1"}, {"name": "x"}, etag),
    ]
    before = stacks.snapshot()
    for method, resource, path, body, headers in calls:
        status, answer, _ = stacks.call(method, resource, path=path, body=body, headers=headers, who=OTHER_MANAGER)
        assert status == 404, (method, resource, answer)
    assert stacks.call("GET", "/space", query={"location_id": "R01-01"}, who=OTHER_MANAGER)[0] == 404
    assert stacks.call("GET", "/space/suggestions", query={"box_id": box["id"]}, who=OTHER_MANAGER)[0] == 404
    # issue 13 §4: another organisation's profile in a query answered 400; an unknown id is a 404 everywhere
    profile = {"container_profile_id": laid_out["box_profile"]["id"]}
    for query in (profile, {**profile, "location_id": "R01-01"}):
        status, problem, _ = stacks.call("GET", "/space/suggestions" if len(query) == 1 else "/space", query=query,
                                         who=OTHER_MANAGER)
        assert status == 404 and problem["errors"][0]["field"] == "container_profile_id", problem
    bulk = stacks.ok("POST", "/placements/bulk", who=OTHER_MANAGER,
                     body={"placements": [{"box_id": box["id"], "location_id": "R01-01-01-2"}]})
    assert bulk["results"][0]["problem"]["status"] == 404
    for listing in ("/repositories", "/boxes", "/sensors", "/location-profiles", "/container-profiles"):
        assert stacks.ok("GET", listing, who=OTHER_MANAGER)["items"] == []
    assert stacks.snapshot() == before


def test_a_cursor_from_another_listing_is_refused(stacks, laid_out):
    cursor = stacks.ok("GET", "/repositories/{repository_id}/locations", path={"repository_id": "R01"},
                       query={"kind": "shelf", "limit": "1"})["next_cursor"]
    assert cursor
    sections = stacks.call("GET", "/repositories/{repository_id}/locations", path={"repository_id": "R01"},
                           query={"kind": "section", "cursor": cursor})
    assert sections[0] == 400 and sections[1]["type"].endswith("/invalid-cursor")
    other = stacks.call("GET", "/repositories", query={"cursor": cursor})
    assert other[0] == 400


# --------------------------------------------------------------- bad input
# Schema-only refusals are unit tests (tests/unit/test_stacks_input.py); here, those that need
# data and one per kind through moto, to show the refusal writes nothing.
@pytest.mark.parametrize("resource, raw, field", [
    ("/boxes", '{"barcode": "B 1", "container_profile_id": "p", "producing_unit": "u", "record_form": "document"}',
     "barcode"),
    ("/boxes", '{"barcode": "B-1", "container_profile_id": "nope", "producing_unit": "u", "record_form": "document"}',
     "container_profile_id"),
    ("/sensors", '{"sensor_id": "TH-1", "repository_id": "R77", "partner_client_id": "k"}', "repository_id"),
    ("/boxes", '{"barcode": "B-1"', "body"),
])
def test_bad_bodies_are_400_problems_and_write_nothing(stacks, laid_out, resource, raw, field):
    before = stacks.snapshot()
    status, body, headers = stacks.call("POST", resource, raw_body=raw)
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    if field != "body":
        assert body["errors"][0]["field"] == field
    assert stacks.snapshot() == before


def test_oversized_and_non_json_bodies_are_refused(stacks, laid_out):
    before = stacks.snapshot()
    big = '{"placements": [' + ",".join(['{"box_id": "%s", "location_id": "R01-01-01-1"}' % ("x" * 60)] * 70_000) + "]}"
    assert stacks.call("POST", "/placements/bulk", raw_body=big)[0] == 413
    assert stacks.call("POST", "/boxes", raw_body="barcode=1", headers={"Content-Type": "text/plain"})[0] == 415
    assert stacks.call("GET", "/boxes", query={"status": "lost"})[0] == 400
    assert stacks.call("GET", "/space/suggestions", query={"count": "0", "container_profile_id": "x"})[0] == 400
    assert stacks.call("GET", "/space")[0] == 400
    assert stacks.snapshot() == before


def test_replaying_an_idempotency_key_creates_nothing_new(stacks, laid_out):
    body = {"barcode": "BX-0001", "container_profile_id": laid_out["box_profile"]["id"],
            "producing_unit": "Finance Division", "record_form": "document"}
    first = stacks.call("POST", "/boxes", body=body, headers={"Idempotency-Key": "scan-77"})
    before = stacks.snapshot()
    again = stacks.call("POST", "/boxes", body=body, headers={"Idempotency-Key": "scan-77"})
    assert first[0] == again[0] == 201 and first[1]["id"] == again[1]["id"]
    assert again[2]["idempotent-replayed"] == "true"
    assert stacks.snapshot() == before
    other = stacks.call("POST", "/boxes", body={**body, "barcode": "BX-0002"}, headers={"Idempotency-Key": "scan-77"})
    assert other[0] == 422
    assert len(stacks.events("BoxRegistered")) == 1


def test_a_number_json_writes_as_a_float_is_still_a_number(stacks, laid_out):
    """JSON Schema's integers include 23.0 (the fuzzer sends it): a 500 before; now the location it names."""
    status, body, _ = stacks.call("POST", "/locations", body={
        "kind": "section", "number": 3.0, "parent_id": "R01-01", "location_profile_id": laid_out["shelf_profile"]["id"]})
    assert status == 201 and body["id"] == "R01-01-03", body
    status, body, _ = stacks.call("POST", "/locations", body={"kind": "section", "number": 23.0, "parent_id": "R09-87"})
    assert status == 400, body
