"""Transfer's routes against moto: drafts refuse held files and stale access reviews by name, other
organisations see nothing, bad input writes nothing, every POST takes an Idempotency-Key; the due lists."""
from __future__ import annotations

from tests.integration.transfer_world import (ARCHIVE, ARCHIVE_ARCHIVIST, ARCHIVIST, AUDITOR, ORG, THIRD_ADMIN)


def test_held_files_and_stale_access_reviews_are_refused_by_name_and_nothing_is_written(transfer):
    transfer.closed_file("F-ok")
    transfer.closed_file("F-held")
    transfer.closed_file("F-stale", reviewed_on=None)  # classified at filing in 2014, never reviewed since
    transfer.hold(["F-held"])
    before = transfer.snapshot()
    problem = transfer.draft(["F-ok", "F-held", "F-stale"], expect=409)
    assert problem["type"].endswith("/file-held")
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("file_ids.1", "file-held"),
                                                                    ("file_ids.2", "access-review-stale")]
    assert "F-stale" in problem["errors"][1]["message"] and "art. 35" in problem["errors"][1]["message"]
    stale = transfer.draft(["F-ok", "F-stale"], expect=409)
    assert stale["type"].endswith("/access-review-stale") and stale["errors"][0]["field"] == "file_ids.1"
    assert transfer.snapshot() == before


def test_files_that_cannot_go_are_named(transfer):
    transfer.closed_file("F-short", retention="10y")
    transfer.closed_file("F-1")
    transfer.draft(["F-1"])
    problem = transfer.draft(["F-short", "F-1", "F-nowhere"], expect=422)
    assert problem["type"].endswith("/files-not-transferable")
    messages = [e["message"] for e in problem["errors"]]
    assert "30 years" in messages[0] and "already in transfer" in messages[1] and "no such file" in messages[2]


def test_the_receiver_must_be_a_known_permanent_archive(transfer):
    transfer.closed_file("F-1")
    before = transfer.snapshot()
    unknown = transfer.draft(["F-1"], receiver="org-nowhere", expect=422)
    assert unknown["type"].endswith("/unknown-organisation") and unknown["errors"][0]["field"] == "receiver_org"
    not_archive = transfer.draft(["F-1"], receiver=ORG, expect=400)
    assert not_archive["errors"][0]["field"] == "receiver_org"
    assert transfer.snapshot() == before


def test_bad_input_names_every_field_and_writes_nothing(transfer):
    before = transfer.snapshot()
    problem = transfer.post("/transfers", {"kind": "to_moon", "file_ids": [], "extra": 1}, expect=400)
    assert {e["field"] for e in problem["errors"]} >= {"kind", "file_ids"}
    assert transfer.snapshot() == before


def test_both_sides_see_a_transfer_and_nobody_else(transfer):
    transfer.closed_file("F-1")
    draft = transfer.draft(["F-1"])
    assert transfer.get(draft["id"], who=AUDITOR)["role"] == "sender"
    assert transfer.get(draft["id"], who=ARCHIVE_ARCHIVIST)["role"] == "receiver"
    assert [f["file_id"] for f in transfer.files(draft["id"], who=ARCHIVE_ARCHIVIST)] == ["F-1"]
    for resource in ("/transfers/{transfer_id}", "/transfers/{transfer_id}/files"):
        status, body, _ = transfer.call("GET", resource, path={"transfer_id": draft["id"]}, who=THIRD_ADMIN)
        assert status == 404, body
    for verb in ("send", "cancel", "accept"):
        status, body, _ = transfer.call("POST", f"/transfers/{{transfer_id}}/{verb}", path={"transfer_id": draft["id"]},
                                        who=THIRD_ADMIN, headers={"If-Match": '"1"', "Idempotency-Key": verb})
        assert status == 404, (verb, body)
    assert transfer.ok("GET", "/transfers", who=THIRD_ADMIN)["items"] == []
    assert [t["id"] for t in transfer.ok("GET", "/transfers", who=ARCHIVE_ARCHIVIST,
                                         query={"role": "receiver"})["items"]] == [draft["id"]]
    # the receiver cannot send what it did not send
    status, body, _ = transfer.call("POST", "/transfers/{transfer_id}/send", path={"transfer_id": draft["id"]},
                                    who=ARCHIVE_ARCHIVIST, headers={"If-Match": '"1"', "Idempotency-Key": "k"})
    assert status == 403, body


def test_every_post_takes_an_idempotency_key(transfer):
    transfer.closed_file("F-1")
    first = transfer.draft(["F-1"], key="draft-1")
    status, again, headers = transfer.call("POST", "/transfers", who=ARCHIVIST,
                                           body={"kind": "to_archive", "file_ids": ["F-1"], "receiver_org": ARCHIVE},
                                           headers={"Idempotency-Key": "draft-1"})
    assert status == 201 and again == first and headers["idempotent-replayed"] == "true"
    status, body, _ = transfer.call("POST", "/transfers", who=ARCHIVIST, headers={"Idempotency-Key": "draft-1"},
                                    body={"kind": "to_archive", "receiver_org": ARCHIVE, "file_ids": ["F-2"]})
    assert status == 422 and body["type"].endswith("/idempotency-key-reused")
    cancelled = transfer.post("/transfers/{transfer_id}/cancel", expect=200, key="cancel-1", version=1,
                              path={"transfer_id": first["id"]})
    replay = transfer.post("/transfers/{transfer_id}/cancel", expect=200, key="cancel-1", version=1,
                           path={"transfer_id": first["id"]})
    assert cancelled == replay and cancelled["status"] == "cancelled"
    assert transfer.draft(["F-1"])["status"] == "draft"  # a cancelled draft frees its files


def test_the_daily_job_lists_files_due_with_their_blockers(transfer):
    from transfer.tasks import handler
    from tests.support.events import FakeLambdaContext
    transfer.closed_file("A-due", closed_on="2014-05-10")  # permanent, retention start 2015: due 2025
    transfer.closed_file("A-stale", closed_on="2014-05-10", reviewed_on=None)
    transfer.closed_file("A-young", closed_on="2024-05-10")  # due 2035
    transfer.closed_file("C-unit", closed_on="2025-03-01", retention="5y", custody=None)  # to the centre from 2026
    transfer.closed_file("A-held", closed_on="2014-05-10")
    transfer.hold(["A-held"])
    transfer.closed_file("A-sent", closed_on="2014-05-10")
    transfer.draft(["A-sent"])
    result = handler({"job": "build_due_lists", "today": "2026-12-02"}, FakeLambdaContext())
    assert result["in_transfer"] == 1
    due = transfer.ok("GET", "/transfers/due", query={"limit": "50"})
    assert due["as_of"] == "2026-12-02"
    found = {e["file_id"]: e for e in due["items"]}
    assert set(found) == {"A-due", "A-stale", "C-unit", "A-held"}
    assert found["A-due"]["kind"] == "to_archive" and found["A-due"]["due_on"] == "2025-01-01"
    assert found["C-unit"]["kind"] == "to_records_centre" and found["C-unit"]["deadline"] == "2028-01-01"
    assert found["A-stale"]["access_review_stale"] and not found["A-due"]["access_review_stale"]
    assert found["A-held"]["held"] and not found["A-due"]["held"]
    only = transfer.ok("GET", "/transfers/due", query={"kind": "to_records_centre"})["items"]
    assert [e["file_id"] for e in only] == ["C-unit"]
    assert transfer.ok("GET", "/transfers/due", who=ARCHIVE_ARCHIVIST)["items"] == []
