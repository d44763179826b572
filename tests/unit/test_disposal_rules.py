"""Disposal's pure rules: which holds apply to a file (scope matching), which files are due for appraisal,
the three steps' order, the committee's majority, and how records' events become the read model."""
from __future__ import annotations

from datetime import date

import pytest

from disposal.domain import feeds, rules
from disposal.domain.model import (Decision, FileReview, FileView, Hold, Mandate, Meeting, Opinion,
                                   ProfessionalReview, Scope, Vote)
from disposal.domain.problems import FileHeld, NoMajority, StepOutOfOrder

FILE = FileView(org_id="o1", id="f1", title="Budget", producing_unit="Finance", class_code="FIN-01",
                status="closed", retention="5y", action="review", disposal_due="2032-01-01")


def hold(status="active", **scope) -> Hold:
    return Hold(org_id="o1", id="h1", mandate=Mandate("litigation", "Seoul District Court", "2026-GA-1"),
                scope=Scope(**{k: tuple(v) for k, v in scope.items()}), placed_by="u1", placed_at="t", status=status)


# ---------------------------------------------------------------------- holds
@pytest.mark.parametrize("scope, applies", [
    ({"files": ["f1"]}, True),
    ({"files": ["f2"]}, False),
    ({"class_codes": ["FIN-01"]}, True),
    ({"class_codes": ["FIN-02"]}, False),
    ({"producing_units": ["Finance"]}, True),
    ({"producing_units": ["Personnel"]}, False),
    ({"files": ["f9"], "producing_units": ["Finance"]}, True),  # any part of the scope is enough
])
def test_a_hold_applies_by_file_class_or_producing_unit(scope, applies):
    assert rules.applies(hold(**scope), "f1", FILE) is applies


def test_a_lifted_hold_applies_to_nothing():
    assert not rules.applies(hold("lifted", files=["f1"]), "f1", FILE)


def test_a_hold_naming_a_file_applies_before_disposal_has_heard_of_the_file():
    assert rules.applies(hold(files=["f1"]), "f1", None)
    assert not rules.applies(hold(class_codes=["FIN-01"]), "f1", None)


def test_holds_on_answers_why_a_file_cannot_be_destroyed():
    holds = [hold(files=["f1"]), hold(class_codes=["X"]), hold("lifted", producing_units=["Finance"])]
    assert rules.holds_on(holds, "f1", FILE) == [holds[0]]


def test_an_empty_scope_is_refused():
    assert rules.scope_errors({"files": [], "class_codes": []}) == [
        {"field": "scope", "message": "name at least one file, class code or producing unit"}]


# ------------------------------------------------------------------------ due
@pytest.mark.parametrize("changes, due", [
    ({}, "2032-01-01"),
    ({"status": "open"}, None),
    ({"action": "transfer", "retention": "30y"}, None),  # transferred, never destroyed here
    ({"action": "transfer", "retention": "semi_permanent", "disposal_due": "2097-01-01"}, "2097-01-01"),  # 준영구 at 70
    ({"disposal_due": None, "retention": "permanent"}, None),
    ({"listed_in": "l1"}, None),  # already in review
    ({"awaiting_reset": "10y"}, None),  # records has yet to apply the committee's new period
    ({"deferred_until": "2033-06-01"}, "2033-06-01"),  # deferred: back on its date
])
def test_when_a_file_comes_up_for_appraisal(changes, due):
    assert rules.due_on(FILE.with_changes(**changes)) == due


def test_is_due_on_and_after_its_day():
    assert not rules.is_due(FILE, date(2031, 12, 31))
    assert rules.is_due(FILE, date(2032, 1, 1))


# ---------------------------------------------------------------------- steps
ENTRY = FileReview(org_id="o1", list_id="l1", file_id="f1", title="Budget", producing_unit="Finance",
                   class_code="FIN-01", retention="5y", disposal_due="2032-01-01")
OPINION = Opinion("destroy", None, "Head of Finance", "u1", "t")
REVIEW = ProfessionalReview("agree", None, None, None, "u2", "t")
MEETING = Meeting(org_id="o1", id="m1", held_on="2032-02-01", present=("a", "b", "c", "d"), title=None,
                  created_by="u2", created_at="t")


def decision(*votes: tuple[str, str], kind="destroy") -> Decision:
    return Decision("m1", kind, None, None, tuple(Vote(m, v) for m, v in votes), "u2", "t")


def test_the_steps_go_in_order():
    with pytest.raises(StepOutOfOrder):
        rules.give_review(ENTRY, REVIEW)
    with pytest.raises(StepOutOfOrder):
        rules.decide(ENTRY, decision(("a", "for"), ("b", "for"), ("c", "for")), MEETING, held=False)
    opined = rules.give_opinion(ENTRY, OPINION)
    assert opined.stage == "awaiting_review"
    with pytest.raises(StepOutOfOrder):
        rules.give_opinion(opined, OPINION)  # once each
    reviewed = rules.give_review(opined, REVIEW)
    decided = rules.decide(reviewed, decision(("a", "for"), ("b", "for"), ("c", "for")), MEETING, held=False)
    assert decided.stage == "decided"
    with pytest.raises(StepOutOfOrder):
        rules.decide(decided, decision(("a", "for"), ("b", "for"), ("c", "for")), MEETING, held=False)


def test_the_producing_unit_can_never_destroy_on_its_own():
    opined = rules.give_opinion(ENTRY, OPINION)
    assert not rules.cleared_for_destruction(opined, held=False)
    reviewed = rules.give_review(opined, REVIEW)
    assert not rules.cleared_for_destruction(reviewed, held=False)  # nor with a professional's agreement
    decided = rules.decide(reviewed, decision(("a", "for"), ("b", "for"), ("c", "for"), ("d", "against")), MEETING,
                           held=False)
    assert rules.cleared_for_destruction(decided, held=False)
    assert not rules.cleared_for_destruction(decided, held=True)  # a hold landing after the committee stops it


@pytest.mark.parametrize("votes, carried", [
    ((("a", "for"), ("b", "for"), ("c", "for")), True),
    ((("a", "for"), ("b", "for"), ("c", "against"), ("d", "against")), False),  # half is not a majority
    ((("a", "for"), ("b", "for"), ("c", "abstain")), False),  # abstentions are not for; 2 of 4 present
    ((("a", "for"), ("b", "for"), ("c", "for"), ("d", "abstain")), True),
])
def test_a_decision_needs_a_majority_of_the_members_present(votes, carried):
    reviewed = rules.give_review(rules.give_opinion(ENTRY, OPINION), REVIEW)
    if carried:
        assert rules.decide(reviewed, decision(*votes), MEETING, held=False).decision.decision == "destroy"
    else:
        with pytest.raises(NoMajority):
            rules.decide(reviewed, decision(*votes), MEETING, held=False)


def test_votes_come_from_members_present_once_each():
    votes = (Vote("a", "for"), Vote("z", "for"), Vote("a", "against"))
    assert rules.majority(votes, MEETING) == [
        {"field": "votes.1.member_id", "message": "not present at the meeting"},
        {"field": "votes.2.member_id", "message": "voted twice"}]


def test_a_held_file_is_never_decided_for_destruction_but_may_be_deferred():
    reviewed = rules.give_review(rules.give_opinion(ENTRY, OPINION), REVIEW)
    votes = (("a", "for"), ("b", "for"), ("c", "for"))
    with pytest.raises(FileHeld):
        rules.decide(reviewed, decision(*votes), MEETING, held=True)
    assert rules.decide(reviewed, decision(*votes, kind="defer"), MEETING, held=True).stage == "decided"


# ---------------------------------------------------------------------- feeds
def envelope(type_, payload, at="2026-01-01T00:00:00.000Z", file_id="f1"):
    return {"id": "e1", "type": type_, "source": "records.records", "occurred_at": at, "payload": payload,
            "subjects": [{"kind": "record_file", "id": file_id, "org_id": "o1"}]}


def test_records_events_build_the_file_in_any_order():
    blank = FileView(org_id="o1", id="f1", version=0)
    created = envelope("FileCreated", {"file_id": "f1", "title": "Budget", "producing_unit": "Finance",
                                       "class_code": "FIN-01", "status": "open"}, at="2026-01-01T00:00:00.000Z")
    closed = envelope("FileClosed", {"file_id": "f1", "closed_on": "2026-03-10", "production_year": 2026,
                                     "retention": "5y", "disposal_due": "2032-01-01", "action": "review"},
                      at="2026-03-10T00:00:00.000Z")
    in_order = feeds.apply(feeds.apply(blank, created), closed)
    reversed_ = feeds.apply(feeds.apply(blank, closed), created)
    assert in_order == reversed_
    assert (in_order.status, in_order.disposal_due, in_order.producing_unit) == ("closed", "2032-01-01", "Finance")


def test_a_retention_override_moves_the_due_date_and_ends_a_wait_for_reset():
    view = FILE.with_changes(due_at="2026-03-10T00:00:00.000Z", awaiting_reset="10y")
    after = feeds.apply(view, envelope("RetentionOverridden", {"file_id": "f1", "retention": "10y", "action": "review",
                                                               "disposal_due": "2037-01-01", "reason": "committee"},
                                       at="2032-02-02T00:00:00.000Z"))
    assert (after.retention, after.disposal_due, after.awaiting_reset) == ("10y", "2037-01-01", None)


def test_other_events_are_not_ours():
    assert feeds.file_of({**envelope("FileClosed", {}), "source": "records.stacks"}) is None
    assert feeds.file_of(envelope("ItemAdded", {})) is None
    assert feeds.file_of(envelope("FileClosed", {"file_id": "f1"})) == ("o1", "f1")
