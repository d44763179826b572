"""Stacks' bulk work against moto: box registration as a job (CSV and JSON, rows all-or-nothing,
per-row errors, isolation, idempotent submission) and bulk placement written a shelf's group per
transaction (a refused group is redone box by box).

The job runs as in AWS: the route stores it and stages `JobSubmitted`; the test hands that event
to stacks' jobs function (`stacks.jobs.handler`) in the shape the bus → SQS rule delivers it.
"""
from __future__ import annotations

import json

import pytest

from tests.integration.stacks_world import ARCHIVIST, MANAGER, OTHER_MANAGER
from tests.support.events import FakeLambdaContext, api_event


def _run_jobs(stacks) -> list[dict]:
    """Deliver every JobSubmitted event to the jobs function, as the bus rule and queue do; the jobs."""
    from stacks.jobs import handler

    submitted = stacks.events("JobSubmitted")
    for n, envelope in enumerate(submitted):
        records = [{"messageId": f"m{n}", "body": json.dumps({"detail-type": "JobSubmitted", "detail": envelope})}]
        assert handler({"Records": records}, FakeLambdaContext()) == {"batchItemFailures": []}
    return [stacks.ok("GET", "/stacks/jobs/{job_id}", path={"job_id": e["payload"]["job_id"]}) for e in submitted]


def _submit_csv(stacks, text: str, **kwargs):
    return stacks.call("POST", "/boxes/bulk", raw_body=text, headers={"Content-Type": "text/csv", **kwargs})


def _claims(stacks) -> set[str]:
    return {i["pk"]["S"] for i in stacks.items() if i["sk"]["S"] == "CLAIM"}


def test_a_csv_registration_job_registers_each_row_or_reports_it(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    stacks.box("BX-TAKEN", profile, rfid="E2000000000000000000AAAA")
    csv = "\n".join([
        "barcode,container_profile_id,producing_unit,record_form,title,weight_kg,contents,rfid",
        f"BX-0001,{profile},Finance Division,document,Budget 2019,7.5,file 1|file 2,",
        f"BX-0002,{profile},Finance Division,photo_film,,,,",
        f"BX 0003,{profile},Finance Division,document,,,,",                            # 3: bad barcode (schema)
        f"BX-0004,no-such-profile,Finance Division,document,,,,",                     # 4: unknown profile
        f"BX-TAKEN,{profile},Finance Division,document,,,,",                           # 5: barcode in use
        f"BX-0006,{profile},Finance Division,document,,,,E2000000000000000000AAAA",    # 6: RFID in use
        f"BX-0001,{profile},Audit Office,document,,,,",                                # 7: an earlier row's barcode
        f"BX-0008,{profile},Finance Division,document,,heavy,,",                       # 8: weight not a number
        f"BX-0009,{profile},Finance Division,document,,,,",
    ])
    claims_before = _claims(stacks)
    status, job, headers = _submit_csv(stacks, csv)
    assert status == 202, job
    assert headers["location"].endswith(f"/stacks/jobs/{job['id']}")
    assert (job["status"], job["total"], job["done"], job["kind"]) == ("queued", 9, 0, "register_boxes")
    assert stacks.events("BoxRegistered") and len(stacks.events("BoxRegistered")) == 1  # nothing registered yet

    [done] = _run_jobs(stacks)
    assert (done["status"], done["total"], done["done"], done["succeeded"], done["failed"], done["percent"]) == (
        "completed", 9, 9, 3, 6, 100)
    errors = stacks.ok("GET", "/stacks/jobs/{job_id}/errors", path={"job_id": job["id"]})["items"]
    assert [e["row"] for e in errors] == [3, 4, 5, 6, 7, 8]
    fields = {e["row"]: e["errors"][0]["field"] for e in errors}
    assert fields == {3: "barcode", 4: "container_profile_id", 5: "barcode", 6: "rfid", 7: "barcode",
                      8: "weight_kg"}

    boxes = {b["barcode"]: b for b in stacks.ok("GET", "/boxes", query={"limit": "50"})["items"]}
    assert set(boxes) == {"BX-TAKEN", "BX-0001", "BX-0002", "BX-0009"}
    first = boxes["BX-0001"]
    assert (first["title"], first["weight_kg"], first["contents"], first["producing_unit"], first["status"]) == (
        "Budget 2019", 7.5, ["file 1", "file 2"], "Finance Division", "unplaced")
    # All or nothing: a refused row left no claim behind (row 6's barcode BX-0006 is still free).
    assert _claims(stacks) - claims_before == {f"ORG#org-alpha#BARCODE#{b}" for b in ("BX-0001", "BX-0002", "BX-0009")}
    registered = stacks.events("BoxRegistered")
    assert len(registered) == 4 and {e["payload"]["barcode"] for e in registered[1:]} == {"BX-0001", "BX-0002",
                                                                                          "BX-0009"}
    assert all(e["actor"]["user_id"] == "u-stacks" for e in registered)
    assert [e["payload"]["status"] for e in stacks.events("JobFinished")] == ["completed"]
    # Redelivered, the job changes nothing.
    assert _run_jobs(stacks)[0]["succeeded"] == 3 and len(stacks.events("BoxRegistered")) == 4


def test_a_row_registers_the_box_a_single_post_would(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    body = {"container_profile_id": profile, "producing_unit": "Finance Division ", "record_form": "card",
            "title": " Ledger ", "contents": ["a", "b"], "retention": "permanent", "weight_kg": 3.25,
            "note": "fragile", "rfid": "e200000000000000000000bb"}
    single = stacks.box("BX-SINGLE", profile, **{k: v for k, v in body.items() if k != "container_profile_id"})
    stacks.ok("POST", "/boxes/bulk", body={"rows": [{**body, "barcode": "BX-ROW", "rfid": "e200000000000000000000cc"}]},
              expect=202)
    _run_jobs(stacks)
    row = stacks.get_box(stacks.ok("GET", "/boxes", query={"barcode": "BX-ROW"})["items"][0]["id"])
    differs = {"id", "barcode", "rfid", "created_at", "updated_at"}
    assert {k: v for k, v in row.items() if k not in differs} == {k: v for k, v in single.items() if k not in differs}
    assert row["rfid"] == "E200000000000000000000CC"


def test_the_whole_upload_is_refused_before_anything_is_stored(stacks, laid_out):
    before = stacks.snapshot()
    assert stacks.call("POST", "/boxes/bulk", raw_body="barcode\nBX-1", headers={"Content-Type": "text/plain"})[0] == 415
    assert _submit_csv(stacks, "barcode,barcode\nA,B")[0] == 400
    assert _submit_csv(stacks, "barcode,record_form\n")[0] == 400  # no rows
    assert stacks.call("POST", "/boxes/bulk", body={"rows": "nope"})[0] == 400
    assert stacks.call("POST", "/boxes/bulk", body={"rows": [{"barcode": "BX-1"}]}, who=ARCHIVIST)[0] == 403
    assert stacks.snapshot() == before


def test_another_organisation_sees_no_job(stacks, laid_out):
    job = stacks.ok("POST", "/boxes/bulk", body={"rows": [{"barcode": "BX-1"}]}, expect=202)
    _run_jobs(stacks)
    for resource in ("/stacks/jobs/{job_id}", "/stacks/jobs/{job_id}/errors"):
        assert stacks.call("GET", resource, path={"job_id": job["id"]}, who=OTHER_MANAGER)[0] == 404
        assert stacks.call("GET", resource, path={"job_id": job["id"]})[0] == 200
    assert stacks.ok("GET", "/stacks/jobs", who=OTHER_MANAGER)["items"] == []
    assert [j["id"] for j in stacks.ok("GET", "/stacks/jobs")["items"]] == [job["id"]]
    assert stacks.ok("GET", "/stacks/jobs/{job_id}/errors", path={"job_id": job["id"]})["items"][0]["row"] == 1


def test_an_idempotency_key_replay_answers_the_same_job(stacks, laid_out):
    rows = {"rows": [{"barcode": f"BX-{n}", "container_profile_id": laid_out["box_profile"]["id"],
                      "producing_unit": "Finance Division", "record_form": "document"} for n in range(100, 105)]}
    key = {"Idempotency-Key": "import-2025-07"}
    status, first, _ = stacks.call("POST", "/boxes/bulk", body=rows, headers=key)
    again = stacks.call("POST", "/boxes/bulk", body=rows, headers=key)
    assert status == again[0] == 202 and again[1] == first and again[2]["idempotent-replayed"] == "true"
    assert len(stacks.events("JobSubmitted")) == 1
    assert stacks.call("POST", "/boxes/bulk", body={"rows": rows["rows"][:2]}, headers=key)[0] == 422
    [done] = _run_jobs(stacks)
    assert (done["id"], done["succeeded"]) == (first["id"], 5)


# ------------------------------------------------------------------ placement
def test_a_group_the_table_refuses_is_redone_box_by_box(stacks, laid_out, monkeypatch):
    """One box changes between the bulk call's read and its write: only that box fails (stale), its
    shelf-mates are placed, and the shelf's counters hold exactly the placed boxes."""
    from stacks.data import boxes as box_store

    profile = laid_out["box_profile"]["id"]
    boxes = [stacks.box(f"BX-{n:04d}", profile) for n in range(8)]
    real = box_store.get_boxes

    def read_then_change(org_id, box_ids):
        found = real(org_id, box_ids)
        stacks.ok("PATCH", "/boxes/{box_id}", path={"box_id": boxes[2]["id"]}, body={"title": "Renamed"},
                  headers={"If-Match": '"1"'})  # after the read, before the write
        return found

    monkeypatch.setattr(box_store, "get_boxes", read_then_change)
    placements = [{"box_id": b["id"], "location_id": "R01-01-01-1" if n < 5 else "R01-01-01-2"}
                  for n, b in enumerate(boxes)]
    result = stacks.ok("POST", "/placements/bulk", body={"placements": placements})
    assert result["summary"] == {"placed": 7, "moved": 0, "found": 0, "unchanged": 0, "failed": 1}
    failed = [r for r in result["results"] if r["outcome"] == "failed"]
    assert [r["box_id"] for r in failed] == [boxes[2]["id"]] and failed[0]["problem"]["status"] in (409, 412)
    assert stacks.shelf("R01-01-01-1")["occupancy"]["boxes"] == 4
    assert stacks.shelf("R01-01-01-2")["occupancy"]["boxes"] == 3
    assert len(stacks.events("BoxPlaced")) == 7


def test_bulk_moves_update_both_shelves_once_per_group(stacks, laid_out):
    profile = laid_out["box_profile"]["id"]
    boxes = [stacks.box(f"BX-{n:04d}", profile) for n in range(6)]
    first = stacks.ok("POST", "/placements/bulk", body={"placements": [
        {"box_id": b["id"], "location_id": "R01-01-01-1"} for b in boxes]})
    assert first["summary"]["placed"] == 6
    moved = stacks.ok("POST", "/placements/bulk", body={"placements": [
        {"box_id": b["id"], "location_id": "R01-01-02-1" if n % 2 else "R01-01-01-1"} for n, b in enumerate(boxes)]})
    assert moved["summary"] == {"placed": 0, "moved": 3, "found": 0, "unchanged": 3, "failed": 0}
    source, target = stacks.shelf("R01-01-01-1")["occupancy"], stacks.shelf("R01-01-02-1")["occupancy"]
    assert (source["boxes"], target["boxes"]) == (3, 3)
    assert source["holdings"] == target["holdings"] == [
        {"record_form": "document", "producing_unit": "Finance Division", "boxes": 3}]
    assert len(stacks.events("BoxMoved")) == 3


def test_a_bulk_call_short_of_time_answers_with_what_it_did_not_attempt(stacks, laid_out):
    """The function's remaining time runs low (an overloaded system): the boxes not yet attempted fail
    with 503 and nothing of theirs is written, and the call still answers; sent again, they are placed."""
    from stacks.app import handler

    profile = laid_out["box_profile"]["id"]
    boxes = [stacks.box(f"BX-{n:04d}", profile) for n in range(4)]
    body = {"placements": [{"box_id": b["id"], "location_id": "R01-01-01-1"} for b in boxes]}
    before = stacks.snapshot()

    class ShortOfTime(FakeLambdaContext):
        def get_remaining_time_in_millis(self):
            return 5_000

    response = handler(api_event("POST", "/placements/bulk", body=body, claims=MANAGER), ShortOfTime())
    answer = json.loads(response["body"])
    assert response["statusCode"] == 200, answer
    assert answer["summary"]["failed"] == 4
    assert {r["problem"]["status"] for r in answer["results"]} == {503}
    assert stacks.snapshot() == before
    assert stacks.ok("POST", "/placements/bulk", body=body)["summary"]["placed"] == 4


def test_a_bulk_call_keeps_room_for_a_write_as_slow_as_its_slowest(stacks, laid_out, monkeypatch):
    """Each write of this call takes 10 s (a loaded table): with 28 s to run, two are written, and the
    third is not started at 8 s left, since one more as slow would end past the function's timeout;
    its boxes answer 503 and nothing of theirs is written."""
    from stacks.app import handler
    from stacks.data import boxes as store
    from stacks.logic import placement

    profile = laid_out["box_profile"]["id"]
    boxes = [stacks.box(f"BX-{n:04d}", profile) for n in range(4)]
    body = {"placements": [{"box_id": b["id"], "location_id": "R01-01-01-1"} for b in boxes]}
    clock = [0.0]
    save = store.save_placements

    def slow_save(changes):
        clock[0] += 10.0
        return save(changes)

    monkeypatch.setattr(placement, "MAX_GROUP_OPERATIONS", 1)  # a box per group
    monkeypatch.setattr(placement, "_now", lambda: clock[0], raising=False)
    monkeypatch.setattr(store, "save_placements", slow_save)

    class Timed(FakeLambdaContext):
        def get_remaining_time_in_millis(self):
            return int(28_000 - clock[0] * 1000)

    response = handler(api_event("POST", "/placements/bulk", body=body, claims=MANAGER), Timed())
    answer = json.loads(response["body"])
    assert response["statusCode"] == 200, answer
    assert [r["outcome"] for r in answer["results"]] == ["placed", "placed", "failed", "failed"]
    assert {r["problem"]["status"] for r in answer["results"][2:]} == {503}
    assert clock[0] == 20.0  # two writes: the call answers with 8 s left
    assert [stacks.ok("GET", "/boxes/{box_id}", path={"box_id": b["id"]})["status"] for b in boxes[2:]] == [
        "unplaced", "unplaced"]
