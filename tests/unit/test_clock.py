"""One rule for calendar dates (shared.clock): the organisation's day, Asia/Seoul by default.

Between 00:00 and 09:00 KST the UTC date is still the day before; circulation (due dates,
overdue) and inventory (cycles, campaigns) must name the same day then.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared import clock
from shared.problems import ValidationFailed

UTC = timezone.utc


@pytest.mark.parametrize("instant, day", [
    (datetime(2026, 3, 1, 14, 59, 59, tzinfo=UTC), date(2026, 3, 1)),  # 23:59:59 KST
    (datetime(2026, 3, 1, 15, 0, 0, tzinfo=UTC), date(2026, 3, 2)),    # 00:00 KST, still 1 March in UTC
    (datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), date(2026, 3, 2)),  # 08:59:59 KST
    (datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC), date(2026, 3, 2)),     # 09:00 KST: the dates agree again
    (datetime(2026, 12, 31, 15, 0, 0, tzinfo=UTC), date(2027, 1, 1)),  # a new year in Korea first
])
def test_today_is_the_day_in_seoul_by_default(instant, day):
    assert clock.today(now=instant) == day


def test_an_organisations_zone_counts_and_an_unknown_one_falls_back_to_the_default():
    instant = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert clock.today("UTC", now=instant) == date(2026, 3, 1)
    assert clock.today("America/New_York", now=instant) == date(2026, 3, 1)
    assert clock.today("Not/AZone", now=instant) == clock.today(now=instant) == date(2026, 3, 2)
    assert clock.today(now=datetime(2026, 3, 1, 16, 0)) == date(2026, 3, 2)  # naive means UTC


def test_instants_are_utc_with_a_z():
    assert clock.iso_instant(datetime(2026, 3, 1, 0, 30, tzinfo=clock.zone())) == "2026-02-28T15:30:00.000Z"


@pytest.fixture
def kst_small_hours(monkeypatch):
    """01:30 KST on 2 March 2026, when the UTC date is still 1 March."""
    instant = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: instant)
    return date(2026, 3, 2)


def test_circulation_and_inventory_agree_on_the_day_in_the_kst_small_hours(kst_small_hours, monkeypatch):
    from circulation.logic import jobs
    from inventory.logic import cycles
    asked = {}

    def open_loans_due_before(day, page_size, start):
        asked["circulation"] = str(day)  # the day (or its ISO key) before which loans are overdue
        return [], None

    def due_cycles(today, limit, start=None):
        asked["inventory"] = today
        return [], None

    monkeypatch.setattr(jobs.store, "open_loans_due_before", open_loans_due_before)
    monkeypatch.setattr(cycles.store, "due_cycles", due_cycles)

    jobs.detect_overdue()
    cycles.open_due_campaigns()

    assert asked["circulation"] == asked["inventory"] == kst_small_hours.isoformat()


def test_a_count_cannot_be_dated_tomorrow_in_seoul_terms(kst_small_hours, monkeypatch):
    """Inventory's "not in the future" check uses the same day: 2 March is today at 01:30 KST."""
    from inventory.logic import cycles
    from shared.auth import Caller
    saved = []
    monkeypatch.setattr(cycles.store, "get_cycle", lambda *a, **k: None)
    monkeypatch.setattr(cycles, "require_repository", lambda org_id, repository_id: None)  # stacks said R01 exists
    monkeypatch.setattr(cycles.store, "save_cycle", lambda after, before, event: saved.append(after))
    manager = Caller(user_id="u", org_id="org-a", roles=frozenset({"stack_manager"}))

    cycle = cycles.set_cycle(manager, {"repository_id": "R01", "cycle_years": 1, "last_counted_on": "2026-03-02"})

    assert saved and cycle.next_due_on == "2027-03-02"
    with pytest.raises(ValidationFailed):
        cycles.set_cycle(manager, {"repository_id": "R01", "last_counted_on": "2026-03-03"})
