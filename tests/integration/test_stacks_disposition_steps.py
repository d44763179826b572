"""Stacks' steps of the destruction saga (disposal) and the transfer sagas (transfer), as Step Functions'
lambda:invoke calls them (tasks.handler).

GIVEN boxes holding record files (stacks knows the files from records' events), on shelves
WHEN the destruction run destroys a page of files / a transfer sends, cancels, receives, reverts or releases
THEN the files leave their boxes, an emptied box is destroyed and frees its shelf exactly once, the boxes
of a transfer move only when all their files go, each step run twice answers the same and emits nothing
twice, compensations tolerate nothing to undo, and other organisations' boxes are never touched.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.integration.stacks_world import MANAGER, ORG, OTHER_MANAGER, OTHER_ORG
from tests.integration.test_stacks_record_files import feed, file_event
from tests.support.events import FakeLambdaContext

SHELF, SHELF_2 = "R01-01-01-1", "R01-01-01-2"
SUPERVISOR = {"name": "Park Ji-hoon", "title": "Records officer"}


def step(name: str, **event: Any) -> dict[str, Any]:
    from stacks.tasks import handler
    return handler({"step": name, "execution_id": f"exec-{name}", "correlation_id": "corr-1", **event},
                   FakeLambdaContext())


def refused(name: str, **event: Any) -> str:
    """The error name Step Functions would see."""
    with pytest.raises(Exception) as raised:
        step(name, **event)
    return type(raised.value).__name__


def destroy(files: list[str], run_id: str = "run-1", org_id: str = ORG) -> dict[str, Any]:
    return step("destroy_contents", org_id=org_id, run_id=run_id, file_ids=files, executed_by="u-records",
                supervisor=SUPERVISOR)


def transfer_out(files: list[str], transfer_id: str = "tr-1") -> dict[str, Any]:
    return step("transfer_out_boxes", org_id=ORG, transfer_id=transfer_id, file_ids=files)


def known_files(*file_ids: str, org_id: str = ORG) -> None:
    assert feed([file_event("FileCreated", f, org_id=org_id) for f in file_ids]) == {"batchItemFailures": []}


@pytest.fixture
def boxes(stacks, laid_out):
    """Four shelved boxes of ORG: A (f1, f2) and B (f3, f4) on SHELF, C (f5, f6) and D (f7, g1) on SHELF_2."""
    known_files("f1", "f2", "f3", "f4", "f5", "f6", "f7", "g1")
    profile = laid_out["box_profile"]["id"]
    made = {}
    for name, files, shelf in (("A", ["f1", "f2"], SHELF), ("B", ["f3", "f4"], SHELF), ("C", ["f5", "f6"], SHELF_2),
                               ("D", ["f7", "g1"], SHELF_2)):
        box = stacks.box(f"BX-{name}", profile, files=files)
        status, body, _ = stacks.place(box, shelf)
        assert status == 200, body
        made[name] = body["box"]
    return made


def occupancy(stacks, shelf: str) -> tuple[int, float]:
    use = stacks.shelf(shelf)["occupancy"]
    return use["boxes"], use["used_width_mm"]


def count(stacks, type_: str) -> int:
    return len(stacks.events(type_))


# -------------------------------------------------------------------- destruction
def test_destroyed_files_leave_their_boxes_and_an_emptied_box_is_destroyed_freeing_its_shelf(stacks, boxes):
    a, b = boxes["A"], boxes["B"]
    assert occupancy(stacks, SHELF) == (2, 200)
    answer = destroy(["f1", "f2", "f3"])
    assert answer == {"boxes": [
        {"box_id": x["id"], "barcode": x["barcode"], "files_destroyed": files, "box_destroyed": gone}
        for x, files, gone in sorted([(a, ["f1", "f2"], True), (b, ["f3"], False)], key=lambda t: t[0]["id"])]}
    assert occupancy(stacks, SHELF) == (1, 100)  # A's space is free, B keeps its own
    gone = stacks.get_box(a["id"])
    assert gone["status"] == "destroyed" and gone["files"] == [] and gone["home_location_id"] is None
    assert gone["disposition"]["run_id"] == "run-1" and gone["disposition"]["supervisor"] == SUPERVISOR
    assert stacks.get_box(b["id"])["files"] == ["f4"] and stacks.get_box(b["id"])["status"] == "shelved"
    history = stacks.ok("GET", "/boxes/{box_id}/history", path={"box_id": a["id"]})["items"]
    assert history[0]["action"] == "destroyed" and history[0]["by"] == "u-records"
    assert history[0]["detail"] == {"run_id": "run-1", "executed_by": "u-records", "supervisor": SUPERVISOR,
                                    "file_ids": ["f1", "f2"]}
    assert "Park Ji-hoon (Records officer)" in history[0]["reason"] and "run-1" in history[0]["reason"]
    shelf_history = stacks.ok("GET", "/locations/{location_id}/history", path={"location_id": SHELF})["items"]
    assert shelf_history[0]["action"] == "destroyed" and shelf_history[0]["box_id"] == a["id"]
    [destroyed] = stacks.events("BoxDestroyed")
    assert destroyed["payload"]["location_id"] == SHELF and destroyed["payload"]["run_id"] == "run-1"
    assert destroyed["payload"]["supervisor"] == SUPERVISOR and destroyed["payload"]["box"]["status"] == "destroyed"
    contents = {e["payload"]["box_id"]: e["payload"]["file_ids"] for e in stacks.events("BoxContentsDestroyed")}
    assert contents == {a["id"]: ["f1", "f2"], b["id"]: ["f3"]}


def test_destroy_contents_twice_gives_the_same_answer_and_frees_the_shelf_once(stacks, boxes):
    first = destroy(["f1", "f2", "f3"])
    events = len(stacks.outbox())
    assert destroy(["f1", "f2", "f3"]) == first
    assert len(stacks.outbox()) == events
    assert occupancy(stacks, SHELF) == (1, 100)


def test_a_box_whose_files_span_pages_is_destroyed_by_the_last_page_and_each_page_keeps_its_answer(stacks, boxes):
    c = boxes["C"]
    page_1 = destroy(["f5"])
    assert page_1["boxes"][0]["box_destroyed"] is False
    page_2 = destroy(["f6"])
    assert page_2["boxes"] == [{"box_id": c["id"], "barcode": "BX-C", "files_destroyed": ["f6"], "box_destroyed": True}]
    assert destroy(["f5"]) == page_1  # a retry of the first page answers as it did
    assert count(stacks, "BoxDestroyed") == 1 and occupancy(stacks, SHELF_2) == (1, 100)


def test_concurrent_pages_emptying_one_box_free_its_shelf_exactly_once(stacks, boxes):
    pages = [["f5"], ["f6"], ["f5"], ["f6"]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(destroy, pages))
    assert count(stacks, "BoxDestroyed") == 1 and count(stacks, "BoxContentsDestroyed") == 2
    assert occupancy(stacks, SHELF_2) == (1, 100)
    assert stacks.get_box(boxes["C"]["id"])["status"] == "destroyed"


def test_other_organisations_boxes_are_never_touched(stacks, laid_out, boxes):
    known_files("f1", org_id=OTHER_ORG)
    stacks.repository("R01", who=OTHER_MANAGER)
    theirs = stacks.box("BX-A", stacks.box_profile(who=OTHER_MANAGER)["id"], who=OTHER_MANAGER, files=["f1"])
    assert destroy(["f1", "f2"])["boxes"][0]["box_id"] == boxes["A"]["id"]
    after = stacks.get_box(theirs["id"], who=OTHER_MANAGER)
    assert (after["version"], after["files"], after["status"]) == (theirs["version"], ["f1"], "unplaced")
    # and a run in their organisation finds none of ours
    assert destroy(["f3"], run_id="run-9", org_id=OTHER_ORG) == {"boxes": []}
    assert stacks.get_box(boxes["B"]["id"])["files"] == ["f3", "f4"]


def test_a_destroyed_box_stays_readable_and_refuses_every_change(stacks, boxes):
    destroy(["f1", "f2"])
    box = stacks.get_box(boxes["A"]["id"])
    match = {"If-Match": f'"{box["version"]}"'}
    path = {"box_id": box["id"]}
    assert stacks.call("PATCH", "/boxes/{box_id}", path=path, body={"title": "x"}, headers=match)[0] == 409
    assert stacks.place(box, SHELF_2)[0] == 409
    assert stacks.call("POST", "/boxes/{box_id}/status", path=path, body={"status": "missing"}, headers=match)[0] == 409
    assert stacks.call("DELETE", "/boxes/{box_id}/placement", path=path, headers=match)[0] == 409
    assert stacks.get_box(box["id"]) == box
    assert len(stacks.ok("GET", "/boxes/{box_id}/history", path=path)["items"]) == 2  # placed, destroyed
    # no loan can take it
    assert refused("reserve_box", org_id=ORG, box_id=box["id"], loan_id="loan-1") == "BoxNotAvailable"


@pytest.mark.parametrize("event, error", [
    ({"file_ids": ["f1"]}, "InvalidTaskInput"),  # no supervisor
    ({"file_ids": ["f1"], "supervisor": {"title": "no name"}}, "InvalidTaskInput"),
    ({"file_ids": [f"f{n}" for n in range(26)], "supervisor": SUPERVISOR}, "InvalidTaskInput"),  # more than a page
    ({"supervisor": SUPERVISOR}, "InvalidTaskInput"),  # no files
])
def test_destroy_contents_refuses_a_malformed_step_and_writes_nothing(stacks, boxes, event, error):
    before = stacks.snapshot()
    assert refused("destroy_contents", org_id=ORG, run_id="run-1", **event) == error
    assert stacks.snapshot() == before


# ----------------------------------------------------------------------- transfer
def test_a_box_leaves_only_when_all_its_files_are_in_the_transfer(stacks, boxes):
    a, d = boxes["A"], boxes["D"]
    answer = transfer_out(["f1", "f2", "f7"])
    assert [m["box_id"] for m in answer["boxes"]] == [a["id"]]
    manifest = answer["boxes"][0]
    assert manifest["barcode"] == "BX-A" and manifest["files"] == ["f1", "f2"]
    assert manifest["size"] == {"width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 5, "stacking_limit": 1}
    assert answer["kept"] == [{"box_id": d["id"], "barcode": "BX-D", "reason": "holds-other-files"}]
    leaving = stacks.get_box(a["id"])
    assert leaving["status"] == "in_transfer" and leaving["transfer"]["id"] == "tr-1"
    assert leaving["home_location_id"] == SHELF and occupancy(stacks, SHELF) == (2, 200)  # still on its shelf
    assert stacks.get_box(d["id"])["status"] == "shelved"
    events = len(stacks.outbox())
    assert transfer_out(["f1", "f2", "f7"]) == answer  # twice: the same answer, nothing new
    assert len(stacks.outbox()) == events
    changed = [e for e in stacks.events("BoxStatusChanged") if e["payload"]["box"]["id"] == a["id"]]
    assert len(changed) == 1 and changed[0]["payload"]["to"] == "in_transfer"


def test_a_box_whose_files_span_pages_leaves_with_the_page_that_completes_it(stacks, boxes):
    c = boxes["C"]
    assert transfer_out(["f5"])["kept"] == [{"box_id": c["id"], "barcode": "BX-C", "reason": "holds-other-files"}]
    assert [m["box_id"] for m in transfer_out(["f6"])["boxes"]] == [c["id"]]
    assert stacks.get_box(c["id"])["status"] == "in_transfer"


def test_concurrent_pages_completing_one_box_move_it_exactly_once(stacks, boxes):
    c = boxes["C"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(transfer_out, [["f5"], ["f6"], ["f6"], ["f5"]]))
    assert any(c["id"] in [m["box_id"] for m in a["boxes"]] for a in answers)  # some page saw it complete
    assert stacks.get_box(c["id"])["status"] == "in_transfer"
    moved = [e for e in stacks.events("BoxStatusChanged") if e["payload"]["box"]["id"] == c["id"]]
    assert len(moved) == 1


def test_a_box_held_by_a_transfer_cannot_be_moved_removed_described_or_set_by_hand(stacks, boxes):
    transfer_out(["f1", "f2"])
    box = stacks.get_box(boxes["A"]["id"])
    match, path = {"If-Match": f'"{box["version"]}"'}, {"box_id": box["id"]}
    assert stacks.place(box, SHELF_2)[0] == 409
    assert stacks.call("DELETE", "/boxes/{box_id}/placement", path=path, headers=match)[0] == 409
    assert stacks.call("PATCH", "/boxes/{box_id}", path=path, body={"title": "x"}, headers=match)[0] == 409
    assert stacks.call("POST", "/boxes/{box_id}/status", path=path, body={"status": "shelved"}, headers=match)[0] == 409
    assert refused("reserve_box", org_id=ORG, box_id=box["id"], loan_id="loan-1") == "BoxNotAvailable"


def test_cancel_gives_every_box_back_once_and_tolerates_nothing_to_undo(stacks, boxes):
    assert step("cancel_transfer_out", org_id=ORG, transfer_id="tr-none") == {"boxes": []}  # nothing to undo
    transfer_out(["f1", "f2", "f5", "f6"])
    answer = step("cancel_transfer_out", org_id=ORG, transfer_id="tr-1")
    assert sorted((b["barcode"], b["status"]) for b in answer["boxes"]) == [("BX-A", "shelved"), ("BX-C", "shelved")]
    events = len(stacks.outbox())
    assert step("cancel_transfer_out", org_id=ORG, transfer_id="tr-1") == answer
    assert len(stacks.outbox()) == events
    box = stacks.get_box(boxes["A"]["id"])
    assert box["status"] == "shelved" and box["transfer"] is None and box["home_location_id"] == SHELF
    # a late retry of the forward step changes nothing
    assert refused("transfer_out_boxes", org_id=ORG, transfer_id="tr-1", file_ids=["f1", "f2"]) == "TransferCancelled"
    assert stacks.get_box(box["id"])["status"] == "shelved"
    assert refused("release_boxes", org_id=ORG, transfer_id="tr-1", receiver_org=OTHER_ORG) == "TransferCancelled"


@pytest.fixture
def receiver_shelves(stacks):
    """The receiving organisation's stacks: R01, one range."""
    stacks.repository("R01", who=OTHER_MANAGER)
    stacks.range_("R01", 1, stacks.shelf_profile(who=OTHER_MANAGER)["id"], who=OTHER_MANAGER)


def receive(boxes_: list[dict], transfer_id: str = "tr-1") -> dict[str, Any]:
    return step("receive_boxes", receiver_org=OTHER_ORG, sender_org=ORG, transfer_id=transfer_id, boxes=boxes_)


def test_the_receiver_registers_the_boxes_unplaced_in_transfer_and_places_them_as_any_box(stacks, boxes,
                                                                                          receiver_shelves):
    sent = transfer_out(["f1", "f2"])["boxes"]
    answer = receive(sent)
    assert answer == {"received": [{"box_id": boxes["A"]["id"], "barcode": "BX-A", "status": "in_transfer"}]}
    events = len(stacks.outbox())
    assert receive(sent) == answer  # twice: registered once
    assert len(stacks.outbox()) == events
    arrived = stacks.get_box(boxes["A"]["id"], who=OTHER_MANAGER)
    assert arrived["status"] == "in_transfer" and arrived["home_location_id"] is None
    assert arrived["files"] == ["f1", "f2"] and arrived["received_from"] == {"org_id": ORG, "transfer_id": "tr-1"}
    registered = [e for e in stacks.events("BoxRegistered") if e["subjects"][0]["org_id"] == OTHER_ORG]
    assert len(registered) == 1 and registered[0]["payload"]["received_from"]["org_id"] == ORG
    # the sender's box is untouched by the receipt
    assert stacks.get_box(boxes["A"]["id"])["status"] == "in_transfer"
    # placed with the ordinary placement route
    status, body, _ = stacks.place(arrived, SHELF, who=OTHER_MANAGER)
    assert status == 200 and body["outcome"] == "placed", body
    assert body["box"]["status"] == "shelved" and body["box"]["transfer"] is None
    assert occupancy(stacks, SHELF) == (2, 200)  # ours, unchanged
    assert stacks.shelf(SHELF, who=OTHER_MANAGER)["occupancy"]["boxes"] == 1


def test_unreceive_removes_what_was_registered_once_and_tolerates_nothing(stacks, boxes, receiver_shelves):
    assert step("unreceive_boxes", receiver_org=OTHER_ORG, transfer_id="tr-0") == {"removed": []}
    sent = transfer_out(["f1", "f2", "f5", "f6"])["boxes"]
    receive(sent)
    arrived = stacks.get_box(boxes["C"]["id"], who=OTHER_MANAGER)
    stacks.place(arrived, SHELF, who=OTHER_MANAGER)  # placed before the saga failed
    answer = step("unreceive_boxes", receiver_org=OTHER_ORG, transfer_id="tr-1", sender_org=ORG)
    assert sorted(answer["removed"]) == sorted([boxes["A"]["id"], boxes["C"]["id"]])
    events = len(stacks.outbox())
    assert step("unreceive_boxes", receiver_org=OTHER_ORG, transfer_id="tr-1") == answer
    assert len(stacks.outbox()) == events and count(stacks, "BoxReceiptReverted") == 2
    assert stacks.call("GET", "/boxes/{box_id}", path={"box_id": boxes["C"]["id"]}, who=OTHER_MANAGER)[0] == 404
    assert stacks.shelf(SHELF, who=OTHER_MANAGER)["occupancy"]["boxes"] == 0  # its space freed
    lookup = stacks.ok("GET", "/boxes", query={"barcode": "BX-A"}, who=OTHER_MANAGER)
    assert lookup["items"] == []  # its label is free again
    assert stacks.get_box(boxes["A"]["id"])["status"] == "in_transfer"  # the sender's box: not the receiver's to undo
    assert refused("receive_boxes", receiver_org=OTHER_ORG, sender_org=ORG, transfer_id="tr-1", boxes=sent,
                   execution_id="exec-unreceive_boxes") == "TransferCancelled"  # a late retry of the undone run
    # the receiver accepts the transfer again (another run): its boxes are registered again
    again = step("receive_boxes", receiver_org=OTHER_ORG, sender_org=ORG, transfer_id="tr-1", boxes=sent,
                 execution_id="exec-accept-2")
    assert sorted(b["box_id"] for b in again["received"]) == sorted([boxes["A"]["id"], boxes["C"]["id"]])


def test_a_label_the_receiver_uses_refuses_the_receipt_by_name(stacks, laid_out, boxes):
    stacks.box("BX-A", stacks.box_profile(who=OTHER_MANAGER)["id"], who=OTHER_MANAGER)
    sent = transfer_out(["f1", "f2", "f5", "f6"])["boxes"]
    with pytest.raises(Exception) as raised:
        receive(sent)
    assert type(raised.value).__name__ == "BoxesNotReceivable" and "BX-A" in str(raised.value)


def test_release_frees_the_shelf_once_and_the_box_ends_transferred(stacks, boxes, receiver_shelves):
    sent = transfer_out(["f1", "f2"])["boxes"]
    receive(sent)
    answer = step("release_boxes", org_id=ORG, transfer_id="tr-1")  # the receiver from receive_boxes
    assert answer == {"boxes": [{"box_id": boxes["A"]["id"], "barcode": "BX-A", "status": "transferred",
                                 "location_id": SHELF}]}
    events = len(stacks.outbox())
    assert step("release_boxes", org_id=ORG, transfer_id="tr-1", receiver_org=OTHER_ORG) == answer
    assert len(stacks.outbox()) == events
    assert occupancy(stacks, SHELF) == (1, 100)
    box = stacks.get_box(boxes["A"]["id"])
    assert box["status"] == "transferred" and box["home_location_id"] is None
    assert box["disposition"]["receiver_org"] == OTHER_ORG
    history = stacks.ok("GET", "/boxes/{box_id}/history", path={"box_id": box["id"]})["items"]
    assert history[0]["action"] == "transferred" and OTHER_ORG in history[0]["reason"]
    assert history[0]["detail"] == {"transfer_id": "tr-1", "receiver_org": OTHER_ORG}
    [transferred] = stacks.events("BoxTransferred")
    assert transferred["payload"]["location_id"] == SHELF and transferred["payload"]["receiver_org"] == OTHER_ORG
    assert stacks.call("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]}, body={"title": "x"},
                       headers={"If-Match": f'"{box["version"]}"'})[0] == 409
    # the receiver's copy is theirs, in transfer until placed
    assert stacks.get_box(box["id"], who=OTHER_MANAGER)["status"] == "in_transfer"


def test_release_with_box_ids_releases_only_those_boxes_of_the_transfer(stacks, boxes, receiver_shelves):
    """What transfer's acceptance sends: the boxes the receiver took; the others of the transfer stay put."""
    sent = transfer_out(["f1", "f2", "f5", "f6"])["boxes"]
    receive(sent)
    answer = step("release_boxes", org_id=ORG, transfer_id="tr-1", receiver_org=OTHER_ORG,
                  box_ids=[boxes["A"]["id"]])
    assert [b["box_id"] for b in answer["boxes"]] == [boxes["A"]["id"]]
    assert stacks.get_box(boxes["A"]["id"])["status"] == "transferred"
    assert stacks.get_box(boxes["C"]["id"])["status"] == "in_transfer"
    assert refused("release_boxes", org_id=ORG, transfer_id="tr-1", receiver_org=OTHER_ORG,
                   box_ids="not-a-list") == "InvalidTaskInput"


def test_unreceive_accepts_the_sender_org_id_the_saga_sends(stacks, boxes, receiver_shelves):
    receive(transfer_out(["f1", "f2"])["boxes"])
    answer = step("unreceive_boxes", org_id=ORG, receiver_org=OTHER_ORG, sender_org=ORG, transfer_id="tr-1")
    assert answer == {"removed": [boxes["A"]["id"]]}
    assert stacks.get_box(boxes["A"]["id"])["status"] == "in_transfer"  # the sender's box: untouched


def test_within_one_organisation_the_box_stays_and_only_its_custody_is_recorded(stacks, boxes):
    sent = transfer_out(["f1", "f2"], transfer_id="tr-rc")["boxes"]
    assert step("receive_boxes", receiver_org=ORG, sender_org=ORG, transfer_id="tr-rc", boxes=sent)["received"][0][
        "status"] == "in_transfer"
    step("release_boxes", org_id=ORG, transfer_id="tr-rc")
    box = stacks.get_box(boxes["A"]["id"])
    assert box["status"] == "shelved" and box["home_location_id"] == SHELF and box["transfer"] is None
    assert box["received_from"]["transfer_id"] == "tr-rc" and occupancy(stacks, SHELF) == (2, 200)
    assert stacks.events("BoxTransferred")[0]["payload"]["within_organisation"] is True


@pytest.mark.parametrize("name, event", [
    ("transfer_out_boxes", {"org_id": ORG, "file_ids": ["f1"]}),  # no transfer id
    ("receive_boxes", {"receiver_org": OTHER_ORG, "sender_org": ORG, "transfer_id": "t", "boxes": [{"box_id": "b"}]}),
    ("receive_boxes", {"receiver_org": OTHER_ORG, "transfer_id": "t", "boxes": []}),  # no sender
    ("release_boxes", {"org_id": ORG, "transfer_id": "never-received"}),  # no receiver known
])
def test_transfer_steps_refuse_malformed_input(stacks, boxes, name, event):
    before = stacks.snapshot()
    assert refused(name, **event) == "InvalidTaskInput"
    assert stacks.snapshot() == before


def test_an_empty_page_of_boxes_is_a_value_not_a_missing_key(stacks, boxes):
    assert receive([]) == {"received": []}
