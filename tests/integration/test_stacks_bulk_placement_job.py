"""A bulk placement above the synchronous maximum is a job (202 + the job to poll), not a refusal.

GIVEN boxes registered in stacks and shelves with room for most of them
WHEN more boxes than `MAX_SYNC_PLACEMENTS` are posted to `POST /placements/bulk`
THEN the call answers 202 with a queued `place_boxes` job (nothing placed yet); stacks' jobs function
places each box as a single placement would (its own transaction and event), reports each refused
box as a row error, and a redelivered job or a replayed call places nothing twice. At the maximum the
call stays synchronous (200 with every box's result); a bad list is refused whole either way.
"""
from __future__ import annotations

import pytest

from tests.integration.test_stacks_bulk import _run_jobs


@pytest.fixture
def small_maximum(monkeypatch):
    """The synchronous maximum lowered to 3, so the boundary is cheap to reach."""
    from stacks.logic import bulk

    monkeypatch.setattr(bulk, "MAX_SYNC_PLACEMENTS", 3)
    return 3


def test_above_the_maximum_the_call_answers_a_job_at_once(stacks, laid_out):
    from stacks.domain.rules import MAX_SYNC_PLACEMENTS

    placements = [{"box_id": f"box-{n}", "location_id": "R01-01-01-1"} for n in range(MAX_SYNC_PLACEMENTS + 1)]
    status, job, headers = stacks.call("POST", "/placements/bulk", body={"placements": placements})
    assert status == 202, job
    assert headers["location"].endswith(f"/stacks/jobs/{job['id']}")
    assert (job["kind"], job["status"], job["total"], job["done"]) == ("place_boxes", "queued", MAX_SYNC_PLACEMENTS + 1, 0)
    assert stacks.ok("GET", "/stacks/jobs/{job_id}", path={"job_id": job["id"]})["status"] == "queued"


def test_the_job_places_each_box_once_and_reports_those_it_cannot(stacks, laid_out, small_maximum):
    # GIVEN 11 boxes for shelves of 10: ten onto R01-01-01-1, the eleventh onto the same (full by then),
    # then a box that does not exist
    profile = laid_out["box_profile"]["id"]
    ids = [stacks.box(f"PJ-{n:02d}", profile)["id"] for n in range(11)]
    placements = [{"box_id": b, "location_id": "R01-01-01-1"} for b in ids]
    placements.append({"box_id": "no-such-box", "location_id": "R01-01-01-2"})

    # WHEN they are posted in one call, above the maximum
    status, job, _ = stacks.call("POST", "/placements/bulk", body={"placements": placements, "reason": "T-9"},
                                 headers={"Idempotency-Key": "shelve-T-9"})

    # THEN a job answers at once, nothing is placed yet, and a replay answers the same job
    assert status == 202 and (job["total"], job["status"]) == (12, "queued")
    assert stacks.events("BoxPlaced") == []
    replay = stacks.call("POST", "/placements/bulk", body={"placements": placements, "reason": "T-9"},
                         headers={"Idempotency-Key": "shelve-T-9"})
    assert replay[0] == 202 and replay[1]["id"] == job["id"]

    # AND the jobs function places every box that fits, once, and reports the two it cannot
    [done] = _run_jobs(stacks)
    assert (done["status"], done["done"], done["succeeded"], done["failed"]) == ("completed", 12, 10, 2)
    errors = stacks.ok("GET", "/stacks/jobs/{job_id}/errors", path={"job_id": job["id"]})["items"]
    assert [e["row"] for e in errors] == [11, 12]
    assert "full" in errors[0]["detail"] and "No box" in errors[1]["detail"]
    placed = stacks.events("BoxPlaced")
    assert len(placed) == 10 and len({e["subjects"][0]["id"] for e in placed}) == 10
    assert {e["payload"]["reason"] for e in placed} == {"T-9"}
    shelf = stacks.ok("GET", "/locations/{location_id}", path={"location_id": "R01-01-01-1"})
    assert shelf["occupancy"]["boxes"] == 10

    # AND the job delivered again (a redelivered message) places nothing twice
    before = stacks.snapshot()
    _run_jobs(stacks)
    assert stacks.snapshot() == before


def test_at_the_maximum_the_call_stays_synchronous_and_one_more_is_a_job(stacks, laid_out, small_maximum):
    profile = laid_out["box_profile"]["id"]
    boxes = [stacks.box(f"SM-{n}", profile)["id"] for n in range(small_maximum + 1)]
    within = [{"box_id": b, "location_id": "R01-01-01-1"} for b in boxes[:small_maximum]]
    status, body, _ = stacks.call("POST", "/placements/bulk", body={"placements": within})
    assert status == 200 and body["summary"]["placed"] == small_maximum
    above = within + [{"box_id": boxes[-1], "location_id": "R01-01-01-2"}]
    status, job, _ = stacks.call("POST", "/placements/bulk", body={"placements": above})
    assert status == 202 and job["total"] == small_maximum + 1
    [done] = [j for j in _run_jobs(stacks) if j["kind"] == "place_boxes"]
    assert (done["succeeded"], done["failed"]) == (small_maximum + 1, 0)
    assert len(stacks.events("BoxPlaced")) == small_maximum + 1  # the three already placed: unchanged


def test_a_bad_list_above_the_maximum_is_refused_whole_and_stores_no_job(stacks, laid_out, small_maximum):
    placements = [{"box_id": "a", "location_id": "R01-01-01-1"}, {"box_id": "b", "location_id": "R01-01-01"},
                  {"box_id": "a", "location_id": "R01-01-01-2"}, {"box_id": "c", "location_id": "R01-01-01-3"}]
    before = stacks.snapshot()
    status, body, _ = stacks.call("POST", "/placements/bulk", body={"placements": placements})
    assert status == 400
    assert [e["field"] for e in body["errors"]] == ["placements.1.location_id", "placements.2.box_id"]
    assert stacks.snapshot() == before and stacks.events("JobSubmitted") == []
