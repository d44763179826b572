"""Circulation's domain rules: the request state machine, the queue, the policy, overdue days, the CSV."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from circulation.domain import lifecycle, overdue, policy as pol, queue, register
from circulation.domain.model import Party, RegisterEntry
from circulation.domain.problems import PolicyRefused, RequestStateConflict
from shared.problems import ValidationFailed


def test_the_state_machine_allows_only_its_transitions():
    assert lifecycle.target("approve", "requested") == "approved"
    assert lifecycle.target("approve", "requested", box_held=True) == "queued"
    assert lifecycle.target("abandon_check_out", "checking_out", box_held=True) == "queued"
    assert lifecycle.target("reopen", "returning") == "checked_out"
    for action, status in [("approve", "approved"), ("start_check_out", "queued"), ("cancel", "checked_out"),
                           ("start_return", "approved"), ("close", "checked_out"), ("reject", "cancelled")]:
        with pytest.raises(RequestStateConflict):
            lifecycle.target(action, status)
    assert set(lifecycle.FINAL).isdisjoint(s for starts, _ in lifecycle.TRANSITIONS.values() for s in starts)


def test_the_queue_is_first_come_first_served_and_nobody_overtakes():
    line = [queue.Waiting("2026-11-24T10:00:02Z", "b"), queue.Waiting("2026-11-24T10:00:01Z", "c"),
            queue.Waiting("2026-11-24T10:00:01Z", "a")]
    assert queue.next_in_line(line) == queue.Waiting("2026-11-24T10:00:01Z", "a")
    assert queue.position(line, "b") == 3 and queue.position(line, "z") is None
    assert queue.box_held([], "a", line)  # others wait: a newcomer queues too
    assert not queue.box_held(["a"], "a", [])
    assert queue.box_held([], "a", [], stacks_status="reserved", stacks_loan_id="other-loan")
    assert not queue.box_held([], "a", [], stacks_status="shelved")


DEFAULT = pol.Policy()


def test_the_period_must_be_ahead_ordered_and_within_the_policy():
    today = date(2026, 11, 24)
    assert pol.check_period("2026-11-24", "2026-12-23", today, DEFAULT) == 30
    with pytest.raises(PolicyRefused) as too_long:
        pol.check_period("2026-11-24", "2026-12-24", today, DEFAULT)
    assert too_long.value.to_dict()["rule"] == "max_period_days"
    for start, until in [("2026-11-23", "2026-11-25"), ("2026-11-26", "2026-11-25"), ("24/11/2026", "2026-11-25")]:
        with pytest.raises(ValidationFailed):
            pol.check_period(start, until, today, DEFAULT)


@pytest.mark.parametrize("purpose, kind, years, allowed", [
    ("reading", "reading_room", 30, True),
    ("exhibition", "exhibition", 30, False),  # long retention: not for exhibition by default
    ("exhibition", "exhibition", 10, True),
    ("exhibition", "exhibition", None, False),  # unknown retention is treated as long
    ("exhibition", "exhibition", float("inf"), False),
    ("reading", "exhibition", 1, False),  # each purpose has its places
    ("transfer", "scanning_room", 70, True),
])
def test_purpose_destination_and_retention(purpose, kind, years, allowed):
    if allowed:
        pol.check_purpose(purpose, kind, years, DEFAULT)
    else:
        with pytest.raises(PolicyRefused):
            pol.check_purpose(purpose, kind, years, DEFAULT)


def test_retention_comes_from_the_stacks_and_a_declaration_only_tightens_it():
    assert pol.effective_retention("10y", "30y") == 30
    assert pol.effective_retention("permanent", "1y") == float("inf")
    assert pol.effective_retention("10y", None) == 10
    assert pol.effective_retention(None, "1y") is None  # unknown stays strict, whatever is declared
    assert pol.effective_retention(None, None) is None


def test_self_approval_only_when_the_policy_allows():
    me = Party("u1", "org", ("stack_manager", "requester"))
    with pytest.raises(PolicyRefused):
        pol.check_approver(me, me, DEFAULT)
    pol.check_approver(me, me, DEFAULT.with_changes(allow_self_approval=True))
    pol.check_approver(Party("u2", "org"), me, DEFAULT)


def test_a_policy_document_round_trips_and_needs_a_destination():
    doc = DEFAULT.document()
    assert pol.Policy.from_document(doc).document() == doc
    with pytest.raises(ValidationFailed):
        pol.check_document({**doc, "destinations": {}})


def test_overdue_counts_whole_days_after_the_last_day():
    today = date(2026, 11, 24)
    assert not overdue.is_overdue("2026-11-24", today)  # due today: not late yet
    assert overdue.is_overdue("2026-11-23", today) and overdue.days_overdue("2026-11-20", today) == 4


def test_the_register_csv_defuses_formulas():
    entry = RegisterEntry(org_id="org", at="2026-11-24T10:00:00Z", action="check_out", request_id="r", loan_id="l",
                          box_id="b", requester="u", handled_by="m", purpose="reading",
                          destination={"kind": "reading_room", "name": "=HYPERLINK(\"x\")"},
                          period_from="2026-11-25", period_until="2026-11-30", box_title="+1 Budget")
    rows = list(csv.DictReader(io.StringIO(register.to_csv([entry]))))
    assert rows[0]["destination_name"].startswith("'=") and rows[0]["box_title"] == "'+1 Budget"
    assert list(rows[0]) == list(register.COLUMNS)
