"""Disposal's destruction rules without AWS: which files a run may take, its pages, its grace window, the
order of its states, the register's CSV, and the certificate (JSON and PDF with Korean text)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from fontTools.ttLib import TTFont

from disposal.domain import certificate, destruction
from disposal.domain.model import (Decision, FileReview, FileView, Meeting, Member, RegisterEntry, Run, RunFile,
                                   Supervisor, Vote)

FILE = FileView(org_id="o1", id="f1", title="2019 영수증", producing_unit="재무과", class_code="FIN-01",
                status="closed", retention="5y", action="review", disposal_due="2025-01-01", listed_in="l1")
DESTROY = Decision(meeting_id="m1", decision="destroy", retention=None, defer_until=None,
                   votes=(Vote("a", "for"),), recorded_by="u1", recorded_at="2026-01-01T00:00:00.000Z")
ENTRY = FileReview(org_id="o1", list_id="l1", file_id="f1", title=None, producing_unit=None, class_code=None,
                   retention=None, disposal_due=None, decision=DESTROY)


def run(**changes) -> Run:
    base = Run(org_id="o1", id="r1", status="started", review_list_id=None, file_count=3, page_count=1,
               executed_by="u-exec", supervisor=Supervisor("박지원", "기록관리과장"), started_by="u1",
               started_at="2026-12-01T00:00:00.000Z", grace_days=0)
    return base.with_changes(**changes)


# --------------------------------------------------------------- eligibility
@pytest.mark.parametrize("file, entry, held, expected", [
    (FILE, ENTRY, False, None),
    (None, ENTRY, False, "no such file"),
    (FILE.with_changes(status="destroyed"), ENTRY, False, "destroyed"),
    (FILE.with_changes(in_run="r0"), ENTRY, False, "already in destruction run r0"),
    (FILE, None, False, "not decided"),
    (FILE, ENTRY.with_changes(decision=Decision("m1", "defer", None, "2099-01-01", (), "u", "t")), False,
     "not decided"),
    (FILE, ENTRY, True, "a hold applies"),
    (FILE.with_changes(status="open"), ENTRY, False, "the file is open"),
])
def test_a_run_takes_only_files_decided_for_destruction_and_free(file, entry, held, expected):
    refusal = destruction.refusal("f1", file, entry, held)
    assert (refusal is None) if expected is None else (expected in refusal)


@pytest.mark.parametrize("file, reason", [
    (FILE, None), (FILE.with_changes(status="being_destroyed", in_run="r1"), None), (None, "unknown-file"),
    (FILE.with_changes(in_run="r2"), "in-other-run"), (FILE.with_changes(status="destroyed"), "final"),
    (FILE.with_changes(status="open"), "not-closed")])
def test_inside_the_saga_a_file_that_moved_is_refused_with_the_contract_s_reasons(file, reason):
    assert destruction.claim_refusal(file, "r1") == reason


def test_pages_hold_at_most_25_files():
    assert destruction.pages(0) == [] and destruction.pages(25) == [0] and destruction.pages(26) == [0, 1]
    assert [destruction.page_of(i) for i in (0, 24, 25, 999)] == [0, 0, 1, 39]


def test_the_grace_window_is_a_timestamp_step_functions_reads():
    start = datetime(2026, 12, 1, 9, 30, 15, 999000, tzinfo=timezone.utc)
    assert destruction.grace_until(start, 7) == "2026-12-08T09:30:15Z"
    assert destruction.grace_until(start, 0) == "2026-12-01T09:30:15Z"


def test_only_a_run_before_its_irreversible_step_can_be_cancelled_once():
    assert all(destruction.cancellable(run(status=s)) for s in ("started", "marking", "grace"))
    assert not any(destruction.cancellable(run(status=s)) for s in ("destroying", "completed", "cancelled", "failed"))
    assert not destruction.cancellable(run(status="grace", cancel_requested_at="t"))
    assert destruction.reached(run(status="destroying"), "grace") and not destruction.reached(run(), "marking")
    assert destruction.reached(run(status="completed"), "destroying")
    assert not destruction.reached(run(status="failed"), "marking")


def test_the_register_is_csv_a_spreadsheet_cannot_run():
    line = RegisterEntry(org_id="o1", destroyed_at="2026-12-01T00:00:00.000Z", run_id="r1", file_id="f1",
                         title="=HYPERLINK(\"x\")", producing_unit="재무과", class_code="FIN-01", retention="5y",
                         meeting_id="m1", components=2, executed_by="u", supervisor="박지원")
    text = destruction.register_csv([line])
    header, row = text.splitlines()
    assert header.split(",") == list(destruction.REGISTER_COLUMNS)
    assert "'=HYPERLINK" in row and "재무과" in row


# --------------------------------------------------------------- certificate
def _files() -> list[RunFile]:
    comps = tuple({"component_id": f"c{i}", "item_id": "i1", "name": f"{i}.pdf", "sha256": "ab" * 32, "size": 10,
                   "versions_deleted": 1} for i in range(2))
    return [RunFile(org_id="o1", run_id="r1", page=0, file_id="f1", list_id="l1", state="destroyed",
                    title="2019 영수증", meeting_id="m1", votes=({"member_id": "a", "vote": "for"},),
                    components=comps, destroyed_at="2026-12-02T00:00:00.000Z"),
            RunFile(org_id="o1", run_id="r1", page=0, file_id="f2", list_id="l1", state="held", reason="보류"),
            RunFile(org_id="o1", run_id="r1", page=0, file_id="f3", list_id="l1", state="refused", reason="x")]


def test_the_certificate_lists_exactly_what_was_destroyed_with_each_component_s_hash():
    meeting = Meeting(org_id="o1", id="m1", held_on="2026-11-30", present=("a", "b"), title=None, created_by="u",
                      created_at="t")
    members = {"a": Member(org_id="o1", id="a", name="홍길동", kind="external", user_id=None, affiliation="대학교",
                           active=True, created_by="u", created_at="t")}
    made = certificate.build(run(status="destroying"), _files(), {"m1": meeting}, members, "2026-12-02T01:00:00.000Z")
    assert [f["file_id"] for f in made["files"]] == ["f1"]
    assert [c["sha256"] for c in made["files"][0]["components"]] == ["ab" * 32] * 2
    assert [(f["file_id"], f["outcome"]) for f in made["not_destroyed"]] == [("f2", "held"), ("f3", "refused")]
    assert made["meetings"] == [{"meeting_id": "m1", "held_on": "2026-11-30", "title": None, "present": [
        {"member_id": "a", "name": "홍길동", "affiliation": "대학교"},
        {"member_id": "b", "name": None, "affiliation": None}]}]
    assert made["supervisor"] == {"name": "박지원", "title": "기록관리과장"} and made["executed_by"] == "u-exec"
    assert made["totals"] == {"files_destroyed": 1, "components_destroyed": 2, "files_not_destroyed": 2}
    document = certificate.to_json(made)
    assert certificate.sha256(document) == hashlib.sha256(document).hexdigest()
    pdf = certificate.render_pdf(made, certificate.sha256(document))
    assert pdf.startswith(b"%PDF") and b"RecordsHangulGothic" in pdf
    assert pdf == certificate.render_pdf(made, certificate.sha256(document))  # the same certificate, the same bytes


def test_the_bundled_font_sets_every_hangul_syllable_without_the_reserved_name():
    font = TTFont(str(certificate.FONT))
    cmap = font.getBestCmap()
    assert all(code in cmap for code in range(0xAC00, 0xD7A4))  # 가..힣
    assert all(code in cmap for code in range(0x20, 0x7F))
    names = {str(r) for r in font["name"].names if r.nameID in (1, 4, 6)}
    assert not any("Nanum" in n for n in names)  # OFL: a modified font may not keep the reserved name
    assert (certificate.FONT.parent / "OFL.txt").is_file()
