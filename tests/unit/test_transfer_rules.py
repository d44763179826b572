"""Transfer's rules without AWS: due dates, holds, access-review staleness, what can go, the BagIt text, the
EAD3 description against the schema, the read models' feeds."""
from __future__ import annotations

from datetime import date

import pytest

from transfer.domain import bag, ead, feeds, rules
from transfer.domain.model import FileView, HoldView


def _file(**kw) -> FileView:
    return FileView(**{"org_id": "o", "id": "f", "title": "Budget 2014", "status": "closed", "closed_on": "2014-05-10",
                       "production_year": 2014, "retention": "permanent", "custody": "records_centre",
                       "access_reviewed_on": "2024-01-01", **kw})


def test_a_long_kept_file_in_the_records_centre_is_due_to_the_archive_ten_years_after_its_retention_start():
    assert rules.due(_file()) == ("to_archive", "2025-01-01", None)
    assert rules.due(_file(retention="10y")) is None  # destroyed by appraisal, never archived
    assert rules.due(_file(status="open")) is None


def test_a_file_of_a_producing_unit_is_due_to_the_records_centre_within_two_years():
    assert rules.due(_file(custody=None, retention="5y")) == ("to_records_centre", "2015-01-01", "2017-01-01")


def test_custody_comes_from_the_holder_records_publishes_so_a_file_moved_to_the_centre_is_due_to_the_archive():
    def custody(payload: dict) -> str | None:
        envelope = {"type": "FileCustodyChanged", "payload": {"file_id": "f", **payload},
                    "occurred_at": "2026-12-02T10:00:00.000Z"}
        return feeds.apply_file(_file(custody=None), envelope).custody

    moved = custody({"custody": {"holder": "records_centre", "transfer_id": "T1", "since": "2026-12-02"},
                     "previous": {"holder": "producing_unit"}})
    assert moved == "records_centre" and rules.due(_file(custody=moved))[0] == "to_archive"
    assert custody({"custody": {"holder": "producing_unit"}, "previous": {"holder": "records_centre"}}) is None


def test_a_file_is_not_due_before_transfer_has_heard_of_its_creation():
    closed = {"type": "FileClosed", "occurred_at": "2015-01-02T00:00:00Z",
              "payload": {"closed_on": "2014-12-31", "production_year": 2014, "retention": "10y"}}
    created = {"type": "FileCreated", "occurred_at": "2014-03-01T00:00:00Z",
               "payload": {"title": "Budget 2014", "producing_unit": "Finance", "class_code": "FIN-01"}}
    only_closed = feeds.apply_file(FileView(org_id="o", id="f", version=0), closed)
    assert only_closed.status == "closed" and rules.due(only_closed) is None  # its access review is unknown yet
    both = feeds.apply_file(only_closed, created)
    assert rules.due(both) == ("to_records_centre", "2015-01-01", "2017-01-01")
    assert not rules.access_review_stale(both, date(2015, 1, 2))


def test_holds_cover_files_by_id_class_and_unit_while_active():
    f = _file(class_code="FIN-01", producing_unit="Finance")
    assert rules.held([HoldView("o", "h", files=("f",))], "f", f)
    assert rules.held([HoldView("o", "h", class_codes=("FIN-01",))], "f", f)
    assert rules.held([HoldView("o", "h", producing_units=("Finance",))], "f", f)
    assert not rules.held([HoldView("o", "h", files=("f",), active=False)], "f", f)
    assert not rules.held([HoldView("o", "h", class_codes=("HR",))], "f", f)


@pytest.mark.parametrize("reviewed, stale", [("2021-12-03", False), ("2021-12-01", True), (None, True)])
def test_an_access_review_older_than_five_years_is_stale(reviewed, stale):
    assert rules.access_review_stale(_file(access_reviewed_on=reviewed), date(2026, 12, 2)) is stale


def test_what_cannot_be_transferred_says_why():
    assert "no such file" in rules.transferable_error(None, "to_archive", None)
    assert "transferred" in rules.transferable_error(_file(status="transferred"), "to_archive", None)
    assert "t-1" in rules.transferable_error(_file(), "to_archive", "t-1")
    assert "30 years" in rules.transferable_error(_file(retention="5y"), "to_archive", None)
    assert rules.transferable_error(_file(), "to_archive", None) is None


def test_pages_hold_at_most_25_files():
    assert [len(p) for p in rules.pages([str(i) for i in range(60)])] == [25, 25, 10]


def test_manifest_lines_round_trip_with_encoded_paths():
    line = bag.manifest_line("ab" * 32, "data/a%b\nc.txt")
    assert line == f"{'ab' * 32}  data/a%25b%0Ac.txt\n"
    assert bag.parse_manifest_line(line) == ("ab" * 32, "data/a%b\nc.txt")


def test_a_missing_or_altered_payload_file_is_named():
    assert "missing" in bag.entry_error("data/x", "a" * 64, None)
    assert bag.entry_error("data/x", "a" * 64, ("b" * 64, 3)).startswith("data/x: SHA-256 bbbb")
    assert bag.entry_error("data/x", "a" * 64, ("a" * 64, 3)) is None
    assert not bag.safe_path("data/../etc/passwd") and not bag.safe_path("/data/x") and bag.safe_path("data/a/b")


def test_bag_info_keeps_one_line_per_label():
    text = bag.bag_info([("Payload-Oxum", bag.payload_oxum(12, 3)), ("External-Description", "two\nlines")])
    assert bag.parse_bag_info(text) == {"Payload-Oxum": "12.3", "External-Description": "two lines"}


def _document(tmp_path, files) -> str:
    meta = {"transfer_id": "t-1", "sender_org": "org-a", "receiver_org": "org-b", "kind": "to_archive",
            "created_at": "2026-12-02T00:00:00Z", "file_count": len(files)}
    path = tmp_path / "ead3.xml"
    path.write_text("".join(ead.document(meta, files)), encoding="utf-8")
    return str(path)


def test_the_ead3_description_validates_against_the_schema(tmp_path):
    outline: dict = {}
    ead.add_entry(outline, "data/files/7f/items/i1/components/c1/보고서 <1>.pdf", 10)
    outline["7f"].title, outline["7f"].access, outline["7f"].retention = "예산 & 결산", "closed", "permanent"
    assert ead.errors(_document(tmp_path, outline.values())) == []


def test_an_invalid_description_is_caught(tmp_path):
    path = _document(tmp_path, [])
    broken = open(path, encoding="utf-8").read().replace("<maintenancestatus", "<maintenancestate")
    open(path, "w", encoding="utf-8").write(broken)
    assert ead.errors(path)


def test_feeds_keep_the_newest_word_and_the_last_access_review():
    view = FileView(org_id="o", id="f", version=0)
    env = {"source": feeds.RECORDS, "subjects": [{"kind": "record_file", "id": "f", "org_id": "o"}]}
    view = feeds.apply_file(view, {**env, "type": "AccessChanged", "occurred_at": "2024-03-01T00:00:00Z",
                                   "payload": {"access": {"classification": "closed"}}})
    view = feeds.apply_file(view, {**env, "type": "FileCreated", "occurred_at": "2010-01-01T00:00:00Z",
                                   "payload": {"title": "T"}})
    assert (view.access_reviewed_on, view.access, view.title, view.status) == ("2024-03-01", "closed", "T", "open")
    lifted = feeds.apply_hold(HoldView("o", "h"), {"type": "HoldLifted", "payload": {}})
    assert not feeds.apply_hold(lifted, {"type": "HoldPlaced", "payload": {"scope": {"files": ["f"]}}}).active
