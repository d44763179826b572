"""Records' transfer rules (no AWS): the reversible being_transferred status, which files a transfer may mark,
the package's paths and names, and the receiver's file made from the sender's documents."""
from __future__ import annotations

import pytest

from records.domain import lifecycle
from records.domain import transfers as rules
from records.domain.components import Component
from records.domain.model import Access, Item, RecordFile, Rule


def _file(status: str = "closed", **extra) -> RecordFile:
    return RecordFile(org_id="o1", id="f1", class_code="FIN-02", scheme_version=1, rule_version=1,
                      rule=Rule("permanent", "transfer", access="closed", grounds=(2,)), title="Budget",
                      producing_unit="Finance", record_type="general_document", electronic=True,
                      access=Access("closed", (2,), (), "2031-01-01"), reference="R-1", status=status,
                      retention="permanent", action="transfer", closed_on="2026-03-10", production_year=2026,
                      created_by="u1", created_at="2026-03-01T00:00:00Z", **extra)


@pytest.mark.parametrize("status, reason", [("open", "not-closed"), ("transferred", "final"), ("destroyed", "final"),
                                            ("held", "held"), ("closed", None), ("under_review", None)])
def test_a_transfer_marks_closed_and_reviewed_files_only(status, reason):
    assert rules.mark_refusal(_file(status), "t1") == reason
    assert rules.mark_refusal(None, "t1") == "unknown-file"


def test_being_transferred_is_reversible_to_the_prior_status_and_freezes_the_file():
    marked = rules.marked(_file("under_review"), "t1", "2026-12-01T00:00:00Z")
    assert (marked.status, marked.prior_status, marked.transfer_id) == ("being_transferred", "under_review", "t1")
    assert not lifecycle.editable(marked.status) and not lifecycle.accepts_items(marked.status)
    assert rules.mark_refusal(marked, "t1") is None  # already marked by this transfer
    assert rules.mark_refusal(marked, "t2") == "in-other-run"
    back = rules.unmarked(marked, "2026-12-02T00:00:00Z")
    assert (back.status, back.prior_status) == ("under_review", None) and rules.was_unmarked(back, "t1")
    assert not rules.was_unmarked(back, "t2")
    with pytest.raises(lifecycle.MoveRefused):
        rules.unmarked(_file("transferred"), "now")


def test_release_leaves_a_residual_record_or_within_one_organisation_the_records_centre_s_custody():
    marked = rules.marked(_file(), "t1", "a")
    gone = rules.released(marked, "o2", "2026-12-03T00:00:00Z")
    assert (gone.status, gone.transferred_to) == ("transferred", {"org": "o2", "transfer_id": "t1",
                                                                 "at": "2026-12-03T00:00:00Z"})
    assert rules.was_released(gone, "t1", "o2") and not lifecycle.editable(gone.status)
    kept = rules.released(rules.in_records_centre(marked, "t1", "b"), "o1", "c")
    assert (kept.status, rules.holder(kept), kept.transferred_to) == ("closed", "records_centre", None)
    assert rules.was_released(kept, "t1", "o1")
    assert rules.holder(rules.custody_undone(rules.in_records_centre(marked, "t1", "b"), "c")) == "producing_unit"


@pytest.mark.parametrize("name, expected", [("minutes.pdf", "minutes.pdf"), ("회의록 2026.hwp", "회의록 2026.hwp"),
                                            ("../../etc/passwd", ".._.._etc_passwd"), ("a\r\nb", "a__b"),
                                            ("..", "component"), ("", "component"), ("x" * 300, "x" * 200)])
def test_a_component_name_is_one_safe_path_segment(name, expected):
    assert rules.bag_name(name) == expected


def test_paths_of_the_package():
    assert rules.component_path("f1", "i1", "c1", "a/b.pdf") == "data/files/f1/items/i1/components/c1/a_b.pdf"
    assert rules.key_in("transfers/o1/t1/", rules.file_path("f1")) == "transfers/o1/t1/data/files/f1/file.json"
    assert rules.key_in("", rules.item_path("f1", "i1")) == "data/files/f1/items/i1/item.json"


def test_the_receiver_makes_the_same_file_item_and_component_from_the_documents():
    sent = rules.marked(_file(), "t1", "a")
    doc = rules.file_document(sent)
    assert (doc["status"], doc["organisation"]) == ("closed", "o1") and "prior_status" not in doc
    got = rules.received_file(doc, "o2", "t1", "2026-12-05T00:00:00Z")
    assert (got.org_id, got.id, got.status, got.reference, got.rule, got.access) == (
        "o2", "f1", "closed", "R-1", sent.rule, sent.access)
    assert got.custody == {"holder": "received", "from_org": "o1", "transfer_id": "t1", "since": "2026-12-05T00:00:00Z"}
    assert rules.received_by(got, "t1") and not rules.received_by(got, "t2")
    item = Item(org_id="o1", file_id="f1", id="i1", registration_number="REG-1", title="Minutes",
                access=Access("closed", (2,)))
    component = Component(org_id="o1", file_id="f1", item_id="i1", id="c1", filename="m.pdf",
                          media_type="application/pdf", size=3, sha256="ab" * 32, object_key="k", object_version="v")
    item_doc = rules.item_document("f1", item, [component])
    (listed,) = rules.package_components(item_doc)
    assert listed["path"] == "data/files/f1/items/i1/components/c1/m.pdf" and "object_key" not in listed
    copy = rules.received_item(item_doc, "o2", "f1", "now")
    assert (copy.org_id, copy.id, copy.registration_number, copy.access) == ("o2", "i1", "REG-1", item.access)
    made = rules.received_component(listed, copy, "components/o2/f1/i1/c1", "v2", "now")
    assert (made.sha256, made.size, made.object_key, made.fixity_status) == (component.sha256, 3, "components/o2/f1/i1/c1",
                                                                             "ok")


@pytest.mark.parametrize("broken", [{"format": "other"}, {"format": "records.file/1"}, None])
def test_a_document_that_is_not_a_sender_s_is_refused(broken):
    with pytest.raises(rules.BadDocument):
        rules.received_file(broken or {"format": "records.file/1", "id": "f1", "scheme_version": "x"}, "o2", "t1", "a")
