"""Table keys (they live in each capability's data/tables.py): order, prefixes and ranges."""
from __future__ import annotations

from datetime import date

import pytest

from circulation.data import tables as circulation
from circulation.domain.queue import Waiting
from stacks.data.tables import location_prefix, location_sort_key
from stacks.domain.codes import InvalidCode, parse


def test_sort_keys_follow_shelf_order_and_prefixes_select_subtrees():
    codes = [parse(c) for c in ("R01-10-01-1", "R01-02-11-1", "R01-02-02-10", "R01-02-02-9")]
    ordered = sorted(codes, key=location_sort_key)
    assert [str(c) for c in ordered] == ["R01-02-02-9", "R01-02-02-10", "R01-02-11-1", "R01-10-01-1"]
    assert location_prefix(parse("R01-02"), "shelf") == "SHELF#02#"
    assert location_sort_key(parse("R01-02-02-10")).startswith(location_prefix(parse("R01-02-02"), "shelf"))
    assert not location_sort_key(parse("R01-12-02-1")).startswith(location_prefix(parse("R01-01"), "shelf"))
    with pytest.raises(InvalidCode):
        location_prefix(parse("R01-02-02"), "range")


def test_a_location_is_the_only_one_of_its_level_under_its_own_prefix():
    assert location_prefix(parse("R01-01-01-2"), "shelf") == "SHELF#01#01#02"
    assert location_prefix(parse("R01-01"), "range") == "RANGE#01"


def test_a_queue_place_key_gives_back_who_waits_since_when():
    key = circulation.queue_key("2026-11-24T10:00:01Z", "a")
    assert circulation.parse_queue_key(key) == Waiting("2026-11-24T10:00:01Z", "a")


def test_the_open_loans_index_puts_loans_due_before_today_below_the_cutoff():
    today = date(2026, 11, 24)
    assert circulation.open_index_key("2026-11-23", "org", "r") < circulation.due_cutoff(today)
    assert not circulation.open_index_key("2026-11-24", "org", "r") < circulation.due_cutoff(today)
