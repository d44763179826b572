"""Disposal's routes, consumer and job against moto: the read model of records' file events, holds,
review lists (the daily job and by hand), the three steps and the committee; roles, other organisations'
ids (404), bad input (4xx naming every field, nothing written), Idempotency-Key and If-Match."""
from __future__ import annotations

import pytest

from tests.integration.disposal_world import (ADMIN, ARCHIVIST, AUDITOR, OTHER_ARCHIVIST, OTHER_ORG, REQUESTER,
                                              file_events)

HOLD = {"mandate": {"reason": "Evidence in a pending lawsuit", "authority": "Seoul District Court",
                    "reference": "2031-GA-1234"}, "scope": {"files": ["f-1"]}}


def _path(**ids):
    return {"path": ids}


# ----------------------------------------------------------------- read model
def test_records_events_make_the_read_model_once_each(disposal):
    published = file_events("f-1")
    assert disposal.feed(published) == {"batchItemFailures": []}
    before = disposal.items()
    assert disposal.feed(published) == {"batchItemFailures": []}  # the same events again
    assert disposal.items() == before
    view = disposal.ok("GET", "/disposal/files/{file_id}/holds", **_path(file_id="f-1"))
    assert view["held"] is False and view["holds"] == []
    assert (view["file"]["status"], view["file"]["disposal_due"],
                                                  view["file"]["producing_unit"]) == ("closed", "2032-01-01",
                                                                                      "Finance Division")


def test_the_read_model_takes_records_real_events(disposal, records, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "records")
    records.scheme()
    file = records.file()
    status, closed, _ = records.close(file, closed_on="2025-03-10")
    assert status == 200, closed
    published = records.events()
    monkeypatch.setenv("TABLE_NAME", "disposal")
    assert disposal.feed(published) == {"batchItemFailures": []}
    view = disposal.ok("GET", "/disposal/files/{file_id}/holds", **_path(file_id=file["id"]))["file"]
    assert (view["status"], view["disposal_due"], view["class_code"]) == ("closed", closed["disposal_due"], "FIN-01")


# ---------------------------------------------------------------------- holds
def test_a_hold_is_placed_listed_per_file_and_lifted_never_deleted(disposal):
    disposal.closed_file("f-1")
    disposal.closed_file("f-2", class_code="FIN-02")
    status, hold, headers = disposal.call("POST", "/disposal/holds", body=HOLD, headers={"Idempotency-Key": "h-1"})
    assert status == 201 and headers["location"].endswith(f"/disposal/holds/{hold['id']}") and headers["etag"] == '"1"'
    replay = disposal.call("POST", "/disposal/holds", body=HOLD, headers={"Idempotency-Key": "h-1"})
    assert replay[1]["id"] == hold["id"] and replay[2]["idempotent-replayed"] == "true"
    by_class = disposal.post("/disposal/holds", {**HOLD, "scope": {"class_codes": ["FIN-02"]}}, who=ADMIN)

    why = disposal.ok("GET", "/disposal/files/{file_id}/holds", **_path(file_id="f-2"))
    assert why["held"] is True and [h["id"] for h in why["holds"]] == [by_class["id"]]
    assert disposal.ok("GET", "/disposal/holds", who=AUDITOR, query={"status": "active"})["next_cursor"] is None
    assert len(disposal.ok("GET", "/disposal/holds", query={"limit": "1"})["items"]) == 1

    status, problem, _ = disposal.call("POST", "/disposal/holds/{hold_id}/lift", path={"hold_id": hold["id"]},
                                       body={"reason": "Case closed"}, headers={"Idempotency-Key": "l-0"})
    assert status == 428, problem  # If-Match is required
    lifted = disposal.post("/disposal/holds/{hold_id}/lift", {"reason": "Case closed"}, expect=200, version=1,
                           path={"hold_id": hold["id"]})
    assert (lifted["status"], lifted["lifted_by"], lifted["lift_reason"]) == ("lifted", "u-archivist", "Case closed")
    assert disposal.ok("GET", "/disposal/files/{file_id}/holds", **_path(file_id="f-1"))["held"] is False
    assert disposal.ok("GET", "/disposal/holds/{hold_id}", **_path(hold_id=hold["id"]))["status"] == "lifted"
    again = disposal.call("POST", "/disposal/holds/{hold_id}/lift", path={"hold_id": hold["id"]},
                          body={"reason": "Case closed"}, headers={"Idempotency-Key": "l-2", "If-Match": '"2"'})
    assert again[0] == 409
    assert len(disposal.events("HoldPlaced")) == 2 and len(disposal.events("HoldLifted")) == 1


def test_bad_hold_input_names_every_field_and_writes_nothing(disposal):
    before = disposal.snapshot()
    status, problem, headers = disposal.call(
        "POST", "/disposal/holds", body={"mandate": {"reason": "", "authority": 5}, "scope": {"files": ["bad id!"]},
                                         "extra": 1}, headers={"Idempotency-Key": "bad-1"})
    assert status == 400 and headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in problem["errors"]}
    assert {"mandate.reason", "mandate.authority", "scope.files.0", "extra"} <= fields, problem
    status, problem, _ = disposal.call("POST", "/disposal/holds", body={**HOLD, "scope": {}},
                                       headers={"Idempotency-Key": "bad-2"})
    assert status == 400 and problem["errors"][0]["field"] == "scope"
    assert disposal.snapshot() == before


def test_roles_and_other_organisations(disposal):
    hold = disposal.post("/disposal/holds", HOLD)
    assert disposal.call("POST", "/disposal/holds", who=REQUESTER, body=HOLD,
                         headers={"Idempotency-Key": "r-1"})[0] == 403
    assert disposal.call("POST", "/disposal/holds", who=AUDITOR, body=HOLD,
                         headers={"Idempotency-Key": "a-1"})[0] == 403
    assert disposal.call("GET", "/disposal/holds", who=REQUESTER)[0] == 403
    assert disposal.call("GET", "/disposal/holds/{hold_id}", who=OTHER_ARCHIVIST, path={"hold_id": hold["id"]})[0] == 404
    assert disposal.call("POST", "/disposal/holds/{hold_id}/lift", who=OTHER_ARCHIVIST, path={"hold_id": hold["id"]},
                         body={"reason": "mine now"}, headers={"Idempotency-Key": "o-1", "If-Match": '"1"'})[0] == 404
    assert disposal.ok("GET", "/disposal/holds", who=OTHER_ARCHIVIST)["items"] == []
    assert disposal.call("GET", "/disposal/files/{file_id}/holds", who=OTHER_ARCHIVIST,
                         path={"file_id": "f-1"})[0] == 404


# ---------------------------------------------------------------------- lists
def test_the_job_lists_due_files_per_unit_leaving_out_held_and_listed_ones(disposal):
    disposal.closed_file("f-1")
    disposal.closed_file("f-2")
    disposal.closed_file("f-3", unit="Personnel Division")
    disposal.closed_file("f-held")
    disposal.closed_file("f-later", closed_on="2027-05-01", disposal_due="2033-01-01")
    disposal.closed_file("f-transfer", retention="30y", action="transfer", disposal_due="2057-01-01")
    disposal.closed_file("f-semi", retention="semi_permanent", action="transfer", closed_on="1961-06-01",
                         disposal_due="2032-01-01")  # 준영구, appraised at 70 years
    disposal.closed_file("f-beta", org_id=OTHER_ORG)
    disposal.post("/disposal/holds", {**HOLD, "scope": {"files": ["f-held"]}})

    result = disposal.run_job("2032-01-02")
    assert (result["due"], result["held"], len(result["lists"])) == (6, 1, 3)
    lists = disposal.ok("GET", "/disposal/review-lists")["items"]
    assert sorted((l["producing_unit"], l["file_count"], l["origin"]) for l in lists) == [
        ("Finance Division", 3, "scheduled"), ("Personnel Division", 1, "scheduled")]
    finance = next(l for l in lists if l["producing_unit"] == "Finance Division")
    files = disposal.ok("GET", "/disposal/review-lists/{list_id}/files", **_path(list_id=finance["id"]))["items"]
    assert sorted(f["file_id"] for f in files) == ["f-1", "f-2", "f-semi"]
    assert {f["stage"] for f in files} == {"awaiting_opinion"}
    assert len(disposal.ok("GET", "/disposal/review-lists", who=OTHER_ARCHIVIST)["items"]) == 1

    before = disposal.snapshot()
    assert disposal.run_job("2032-01-02")["lists"] == []  # nothing twice
    assert disposal.snapshot() == before
    assert len(disposal.events("FileListedForReview")) == 5


def test_a_list_by_hand_names_every_refused_file_and_writes_nothing(disposal):
    disposal.closed_file("f-1")
    disposal.closed_file("f-2")
    disposal.feed(file_events("f-open")[:1])
    disposal.post("/disposal/holds", {**HOLD, "scope": {"files": ["f-2"]}})
    before = disposal.snapshot()
    status, problem, _ = disposal.call("POST", "/disposal/review-lists",
                                       body={"title": "Spring", "file_ids": ["f-1", "f-2", "f-open", "f-none"]},
                                       headers={"Idempotency-Key": "m-1"})
    assert status == 422, problem
    assert [e["field"] for e in problem["errors"]] == ["file_ids.1", "file_ids.2", "file_ids.3"]
    assert disposal.snapshot() == before
    made = disposal.post("/disposal/review-lists", {"title": "Spring", "file_ids": ["f-1"]})
    assert (made["origin"], made["file_count"]) == ("manual", 1)
    again = disposal.call("POST", "/disposal/review-lists", body={"title": "Again", "file_ids": ["f-1"]},
                          headers={"Idempotency-Key": "m-2"})
    assert again[0] == 422 and "already in review list" in again[1]["errors"][0]["message"]
    assert disposal.call("POST", "/disposal/review-lists", who=ADMIN, body={"title": "x", "file_ids": ["f-1"]},
                         headers={"Idempotency-Key": "m-3"})[0] == 403


# ---------------------------------------------------------------------- steps
@pytest.fixture
def listed(disposal):
    for file_id in ("f-1", "f-2", "f-3"):
        disposal.closed_file(file_id)
    made = disposal.post("/disposal/review-lists", {"title": "2032 appraisal", "file_ids": ["f-1", "f-2", "f-3"]})
    members = disposal.committee("Kim", "Lee", "Park", "Choi")
    meeting = disposal.meeting(members[:3])
    return made["id"], members, meeting


def _through_review(disposal, list_id, file_id):
    disposal.step(list_id, file_id, "opinion", {"opinion": "destroy", "official": "Head of Finance"})
    disposal.step(list_id, file_id, "review", {"recommendation": "agree"})


def test_three_steps_in_order_each_an_event_with_votes_kept(disposal, listed):
    list_id, members, meeting = listed
    early = disposal.step(list_id, "f-1", "review", {"recommendation": "agree"}, expect=409)
    assert early["type"].endswith("/disposal-step-out-of-order")
    _through_review(disposal, list_id, "f-1")
    votes = [{"member_id": m, "vote": v} for m, v in zip(members, ("for", "for", "against"))]
    decided = disposal.step(list_id, "f-1", "decision", {"meeting_id": meeting["id"], "decision": "destroy",
                                                          "votes": votes})
    assert decided["stage"] == "decided" and decided["decision"]["votes"] == votes
    for type_ in ("OpinionGiven", "ProfessionalReviewGiven", "CommitteeDecided"):
        assert [e["payload"]["file_id"] for e in disposal.events(type_)] == ["f-1"]
    assert disposal.events("CommitteeDecided")[0]["subjects"][0] == {"kind": "record_file", "id": "f-1",
                                                                      "org_id": "org-alpha"}


def test_a_decision_without_a_majority_of_those_present_writes_nothing(disposal, listed):
    list_id, members, meeting = listed
    _through_review(disposal, list_id, "f-1")
    before = disposal.snapshot()
    votes = [{"member_id": members[0], "vote": "for"}, {"member_id": members[1], "vote": "abstain"}]
    problem = disposal.step(list_id, "f-1", "decision", {"meeting_id": meeting["id"], "decision": "destroy",
                                                          "votes": votes}, expect=422)
    assert problem["type"].endswith("/no-majority")
    absent = disposal.step(list_id, "f-1", "decision",
                           {"meeting_id": "m-none", "decision": "defer", "votes": [{"member_id": members[3],
                                                                                    "vote": "for"}]}, expect=400)
    assert [e["field"] for e in absent["errors"]] == ["defer_until", "meeting_id"]
    assert disposal.snapshot() == before


def test_a_hold_placed_after_the_review_stops_a_destroy_decision(disposal, listed):
    list_id, members, meeting = listed
    _through_review(disposal, list_id, "f-2")
    disposal.post("/disposal/holds", {**HOLD, "scope": {"producing_units": ["Finance Division"]}})
    votes = [{"member_id": m, "vote": "for"} for m in members[:3]]
    problem = disposal.step(list_id, "f-2", "decision", {"meeting_id": meeting["id"], "decision": "destroy",
                                                          "votes": votes}, expect=409)
    assert problem["type"].endswith("/file-held")


def test_a_deferred_file_comes_back_on_its_date_and_a_reset_waits_for_records(disposal, listed):
    list_id, members, meeting = listed
    votes = [{"member_id": m, "vote": "for"} for m in members[:3]]
    _through_review(disposal, list_id, "f-1")
    disposal.step(list_id, "f-1", "decision", {"meeting_id": meeting["id"], "decision": "defer",
                                               "defer_until": "2099-01-01", "votes": votes})
    _through_review(disposal, list_id, "f-2")
    disposal.step(list_id, "f-2", "decision", {"meeting_id": meeting["id"], "decision": "reset_retention",
                                               "retention": "10y", "votes": votes})
    assert disposal.run_job("2098-12-31")["lists"] == []
    assert disposal.run_job("2099-01-01")["due"] == 1  # f-1 again; f-2 waits for records' new due date
    f2 = disposal.ok("GET", "/disposal/files/{file_id}/holds", **_path(file_id="f-2"))["file"]
    assert (f2["awaiting_reset"], f2["listed_in"]) == ("10y", None)


def test_the_producing_units_opinion_keep_needs_a_reason_and_roles_are_checked(disposal, listed):
    list_id, _, _ = listed
    problem = disposal.step(list_id, "f-3", "opinion", {"opinion": "keep", "official": "Head"}, expect=400)
    assert problem["errors"] == [{"field": "reason", "message": "required to keep a file"}]
    disposal.step(list_id, "f-3", "opinion", {"opinion": "destroy", "official": "Head"}, who=ADMIN)
    assert disposal.step(list_id, "f-3", "review", {"recommendation": "agree"}, who=ADMIN, expect=403)
    stale = disposal.call("POST", "/disposal/review-lists/{list_id}/files/{file_id}/review",
                          path={"list_id": list_id, "file_id": "f-3"}, body={"recommendation": "agree"},
                          headers={"Idempotency-Key": "s-1", "If-Match": '"1"'})
    assert stale[0] == 412


def test_other_organisations_lists_files_members_and_meetings_answer_404(disposal, listed):
    list_id, members, meeting = listed
    for resource, ids in [("/disposal/review-lists/{list_id}", {"list_id": list_id}),
                          ("/disposal/review-lists/{list_id}/files", {"list_id": list_id}),
                          ("/disposal/review-lists/{list_id}/files/{file_id}", {"list_id": list_id, "file_id": "f-1"}),
                          ("/disposal/committee/members/{member_id}", {"member_id": members[0]}),
                          ("/disposal/committee/meetings/{meeting_id}", {"meeting_id": meeting["id"]})]:
        assert disposal.call("GET", resource, who=OTHER_ARCHIVIST, path=ids)[0] == 404, resource
    before = disposal.snapshot()
    assert disposal.call("POST", "/disposal/review-lists/{list_id}/files/{file_id}/opinion", who=OTHER_ARCHIVIST,
                         path={"list_id": list_id, "file_id": "f-1"}, body={"opinion": "destroy", "official": "X"},
                         headers={"Idempotency-Key": "x-1", "If-Match": '"1"'})[0] == 404
    assert disposal.snapshot() == before


def test_committee_members_and_meetings(disposal):
    staff = disposal.post("/disposal/committee/members", {"name": "Head of Records Centre", "kind": "staff",
                                                          "user_id": "u-head"})
    bad = disposal.call("POST", "/disposal/committee/members", body={"name": "Dr. Yoon", "kind": "external",
                                                                    "user_id": "u-x"},
                        headers={"Idempotency-Key": "c-1"})
    assert bad[0] == 400 and bad[1]["errors"][0]["field"] == "user_id"
    ended = disposal.ok("PATCH", "/disposal/committee/members/{member_id}", path={"member_id": staff["id"]},
                        body={"active": False}, headers={"If-Match": '"1"'})
    assert ended["active"] is False and ended["version"] == 2
    problem = disposal.post("/disposal/committee/meetings", {"held_on": "2032-02-01",
                                                             "present": [staff["id"], "m-none"]}, expect=400)
    assert [e["field"] for e in problem["errors"]] == ["present.0", "present.1"]
    assert len(disposal.ok("GET", "/disposal/committee/members", who=AUDITOR)["items"]) == 1
    assert disposal.ok("GET", "/disposal/committee/meetings")["items"] == []
