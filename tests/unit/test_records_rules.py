"""Records' pure rules: retention arithmetic, the file's state machine, access (redaction, downloads,
review and 30-year dates), how other capabilities' events become read models, CSV exports."""
from __future__ import annotations

import csv
from datetime import date
import io

import pytest

from records.domain import access, exports, feeds, lifecycle, retention
from records.domain.model import FILE_REDACTABLE, Access, Item, RecordFile, Rule


# ------------------------------------------------------------------ retention
@pytest.mark.parametrize("closed_on, kept, starts, due", [
    (date(2026, 3, 10), "5y", "2027-01-01", "2032-01-01"),  # the issue's own case
    (date(2026, 1, 1), "1y", "2027-01-01", "2028-01-01"),  # closed on New Year's day: still the next year
    (date(2026, 12, 31), "3y", "2027-01-01", "2030-01-01"),
    (date(2024, 2, 29), "10y", "2025-01-01", "2035-01-01"),
    (date(2026, 3, 10), "30y", "2027-01-01", "2057-01-01"),
    (date(2026, 3, 10), "semi_permanent", "2027-01-01", "2097-01-01"),  # 준영구: appraisal at 70 years
    (date(2026, 3, 10), "permanent", "2027-01-01", None),  # 영구: never due
])
def test_retention_starts_the_first_of_january_after_closing(closed_on, kept, starts, due):
    schedule = retention.schedule(closed_on, Rule(kept, retention.default_action(kept)))
    assert (schedule.retention_starts_on, schedule.disposal_due, schedule.production_year) == \
        (starts, due, closed_on.year)


@pytest.mark.parametrize("kept, action", [("1y", "review"), ("10y", "review"), ("30y", "transfer"),
                                          ("semi_permanent", "transfer"), ("permanent", "transfer")])
def test_files_kept_thirty_years_or_more_go_to_the_archive(kept, action):
    assert retention.default_action(kept) == action


def test_an_override_wins_over_the_rule_and_takes_its_own_default_action():
    rule = Rule("30y", "transfer")
    kept = retention.schedule(date(2026, 3, 10), rule, "5y")
    assert (kept.retention, kept.action, kept.disposal_due) == ("5y", "review", "2032-01-01")
    assert retention.schedule(date(2026, 3, 10), rule).action == "transfer"


def test_an_unknown_retention_is_refused():
    with pytest.raises(ValueError):
        retention.due_on(date(2026, 1, 1), "7y")


# ------------------------------------------------------------- state machine
@pytest.mark.parametrize("current, target", [("open", "closed"), ("closed", "under_review"), ("closed", "held"),
                                             ("closed", "transferred"), ("under_review", "destroyed"),
                                             ("under_review", "closed"), ("held", "closed")])
def test_allowed_moves(current, target):
    lifecycle.check_move(current, target)


@pytest.mark.parametrize("current, target", [("open", "destroyed"), ("open", "under_review"), ("closed", "open"),
                                             ("held", "destroyed"), ("destroyed", "closed"),
                                             ("transferred", "closed"), ("closed", "archived")])
def test_refused_moves(current, target):
    with pytest.raises(lifecycle.MoveRefused):
        lifecycle.check_move(current, target)


def test_every_status_has_its_moves_and_final_ones_have_none():
    assert set(lifecycle.MOVES) == set(lifecycle.STATUSES)
    assert all(lifecycle.MOVES[s] == () for s in lifecycle.FINAL)
    assert lifecycle.accepts_items("open") and not lifecycle.accepts_items("closed")


# ---------------------------------------------------------------------- access
def a_file(**changes) -> RecordFile:
    base = RecordFile(org_id="o", id="f1", class_code="FIN-01", scheme_version=1, rule_version=1,
                      rule=Rule("5y", "review"), title="Secret budget", producing_unit="Finance",
                      record_type="general_document", electronic=True, access=Access(), creator="Kim",
                      keywords=("budget",), description="Line items")
    return base.with_changes(**changes)


def an_item(**changes) -> Item:
    return Item(org_id="o", file_id="f1", id="i1", registration_number="R-1", title="Memo", author="Lee",
                access=Access()).with_changes(**changes)


REQUESTER, ARCHIVIST, AUDITOR = ["requester"], ["archivist"], ["auditor"]


def test_requesters_see_open_files_whole():
    assert access.file_view(REQUESTER, a_file()) == a_file().public()


def test_partly_open_fields_are_redacted_for_requesters_only():
    file = a_file(access=Access("partly_open", (5,), ("title", "keywords")))
    view = access.file_view(REQUESTER, file)
    assert view["title"] is None and view["keywords"] == [] and view["redacted"] == ["keywords", "title"]
    assert view["producing_unit"] == "Finance"
    assert access.file_view(ARCHIVIST, file)["title"] == "Secret budget"
    assert access.file_view(AUDITOR, file)["keywords"] == ["budget"]


def test_a_closed_file_shows_requesters_only_what_identifies_it():
    view = access.file_view(REQUESTER, a_file(access=Access("closed", (1, 2))))
    assert set(view) == set(access.FILE_MINIMAL) | {"redacted"}
    assert "title" in view["redacted"] and "description" in view["redacted"]


def test_items_of_a_closed_file_are_minimal_whatever_their_own_access():
    closed = a_file(access=Access("closed", (1,)))
    view = access.item_view(REQUESTER, closed, an_item())
    assert set(view) == set(access.ITEM_MINIMAL) | {"redacted"} and view["registration_number"] == "R-1"
    assert access.item_view(ARCHIVIST, closed, an_item())["title"] == "Memo"


@pytest.mark.parametrize("roles, file_access, item_access, allowed", [
    (REQUESTER, "open", "open", True),
    (REQUESTER, "partly_open", "open", True),
    (REQUESTER, "open", "partly_open", False),
    (REQUESTER, "open", "closed", False),
    (REQUESTER, "closed", "open", False),
    (["stack_manager"], "open", "closed", False),
    (ARCHIVIST, "closed", "closed", True),
    (AUDITOR, "closed", "closed", True),
])
def test_can_download(roles, file_access, item_access, allowed):
    def acc(c):
        return Access(c, () if c == "open" else (3,))
    assert access.can_download(roles, a_file(access=acc(file_access)), an_item(access=acc(item_access))) is allowed


@pytest.mark.parametrize("given, fields", [
    (Access("open", (1,)), ["access.grounds"]),
    (Access("closed"), ["access.grounds"]),
    (Access("closed", (2,), ("title",)), ["access.closed_fields"]),
    (Access("partly_open", (2,), ("title", "barcode")), ["access.closed_fields"]),
    (Access("open", (), (), None, "2060-01-01"), ["access.extended_until"]),
    (Access("partly_open", (2,), ("title",)), []),
])
def test_access_consistency(given, fields):
    assert [e["field"] for e in access.access_errors(given, FILE_REDACTABLE)] == fields


def test_non_open_access_is_reviewed_five_years_on_and_opens_thirty_years_after_production():
    reviewed = access.with_review(Access("closed", (4, 1)), date(2026, 3, 10))
    assert (reviewed.review_on, reviewed.grounds) == ("2031-03-10", (1, 4))
    assert access.with_review(Access("open"), date(2026, 3, 10)).review_on is None
    assert access.opens_on(Access("closed", (1,)), 2026) == "2057-01-01"
    assert access.opens_on(Access("closed", (1,), (), None, "2070-01-01"), 2026) == "2070-01-01"
    assert access.opens_on(Access("open"), 2026) is None and access.opens_on(Access("closed", (1,)), None) is None


# ---------------------------------------------------------------------- feeds
def unit_task_event(**payload):
    body = {"scheme_version": 2, "code": "FIN-01", "title": "Budgeting", "path": [], "valid_from": None,
            "valid_to": None, "rule": {"retention": "10y", "trigger": "year_after_closing", "action": "review",
                                       "access": {"classification": "closed", "grounds": [3, 1]}, "notes": None}}
    return {"id": "e1", "type": "UnitTaskPublished", "source": "records.classification",
            "subjects": [{"kind": "unit_task", "id": "FIN-01", "org_id": "o"}], "payload": {**body, **payload}}


def test_a_published_unit_task_becomes_a_class_with_its_rule():
    task = feeds.unit_task(unit_task_event())
    assert (task.org_id, task.scheme_version, task.code) == ("o", 2, "FIN-01")
    assert task.rule == Rule("10y", "review", "year_after_closing", "closed", (1, 3), None)


@pytest.mark.parametrize("payload", [{"scheme_version": "2"}, {"code": ""}, {"rule": {"retention": "7y"}}])
def test_unusable_unit_task_events_are_ignored(payload):
    assert feeds.unit_task(unit_task_event(**payload)) is None


def test_box_events_carry_files_only_when_they_list_them():
    registered = {"id": "e", "type": "BoxRegistered", "source": "records.stacks",
                  "subjects": [{"kind": "box", "id": "b1", "org_id": "o"}],
                  "payload": {"id": "b1", "barcode": "BC-1", "status": "unplaced", "version": 1, "files": ["f1", "f1"]}}
    box, lists = feeds.box(registered)
    assert (box.files, lists, box.location_id) == (("f1",), True, None)
    moved = {**registered, "type": "BoxMoved", "payload": {"box": {
        "id": "b1", "barcode": "BC-1", "status": "shelved", "version": 3, "home_location_id": "R01-01-01-1",
        "current_location": {"kind": "shelf", "id": "R01-01-01-1"}}}}
    box, lists = feeds.box(moved)
    assert (lists, box.location_id, box.location_kind, box.version) == (False, "R01-01-01-1", "shelf", 3)
    assert feeds.box({**moved, "source": "records.inventory"}) is None


@pytest.mark.parametrize("type_", ["BoxContentsDestroyed", "BoxDestroyed", "BoxTransferred"])
def test_disposition_events_say_which_files_the_box_still_holds(type_):
    event = {"id": "e", "type": type_, "source": "records.stacks",
             "subjects": [{"kind": "box", "id": "b1", "org_id": "o"}],
             "payload": {"box_id": "b1", "file_ids": ["f1"], "box": {
                 "id": "b1", "barcode": "BC-1", "status": "destroyed", "version": 5, "files": ["f2"]}}}
    box, lists = feeds.box(event)
    assert (box.files, lists, box.status, box.version) == (("f2",), True, "destroyed", 5)


# --------------------------------------------------------------------- exports
def test_csv_exports_redacted_views_and_defuses_formulas():
    views = [access.file_view(REQUESTER, a_file(title="=HYPERLINK(1)")),
             access.file_view(REQUESTER, a_file(access=Access("partly_open", (5,), ("title",))))]
    rows = list(csv.reader(io.StringIO(exports.files_csv(views))))
    title = exports.FILE_COLUMNS.index("title")
    assert rows[0] == list(exports.FILE_COLUMNS)
    assert rows[1][title] == "'=HYPERLINK(1)" and rows[2][title] == ""
    assert rows[2][exports.FILE_COLUMNS.index("keywords")] == "budget"


def test_a_box_keeps_the_newest_word_on_where_it_is_and_on_what_it_holds():
    from records.domain.model import Box
    registered = Box("o", "b1", "BC", "unplaced", None, None, 1, ("f1", "f2"), 1)
    placed = Box("o", "b1", "BC", "shelved", "R01-01-01-1", "shelf", 2)
    # placed first, registration late: the files still count, the place stays the newer one
    merged = placed.merged(registered, lists_files=True)
    assert (merged.location_id, merged.version, merged.files, merged.files_version) == \
        ("R01-01-01-1", 2, ("f1", "f2"), 1)
    assert merged.merged(placed, lists_files=False) == merged
    updated = Box("o", "b1", "BC", "shelved", "R01-01-01-1", "shelf", 3, ("f2",), 3)
    assert merged.merged(updated, lists_files=True).files == ("f2",)


# --------------------------------------------------------------------- imports
def test_csv_cells_become_a_registration_body():
    from records.domain.imports import body_of
    row = {"record": "file", "reference": " F-1 ", "electronic": "No", "volume": "3", "keywords": "a; b;;",
           "access": "partly_open", "grounds": "6;5", "closed_fields": "title", "description": ""}
    assert body_of(row) == {"record": "file", "reference": "F-1", "electronic": False, "volume": 3,
                            "keywords": ["a", "b"], "access": {"classification": "partly_open", "grounds": [6, 5],
                                                               "closed_fields": ["title"]}}
    # what is not unambiguous stays as it is, for the row schema to refuse by name
    assert body_of({"pages": "two", "electronic": "maybe"}) == {"pages": "two", "electronic": "maybe"}
    # JSON rows may be typed already
    assert body_of({"pages": 2, "access": {"classification": "open"}, "attachments": ["x"]}) == \
        {"pages": 2, "access": {"classification": "open"}, "attachments": ["x"]}


def test_a_closed_files_boxes_are_shown_only_to_full_view_roles():
    closed = a_file(access=Access("closed", (1,)))
    assert not access.shows_boxes(REQUESTER, closed) and access.shows_boxes(AUDITOR, closed)
    assert access.shows_boxes(REQUESTER, a_file(access=Access("partly_open", (1,), ("title",))))
