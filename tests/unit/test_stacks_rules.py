"""Placement suggestions, box status transitions and environment range checks."""
from __future__ import annotations

import pytest

from stacks.domain import arrangement, environment as env, status
from stacks.domain.capacity import BoxSize, ShelfDimensions, ShelfUse
from stacks.domain.codes import parse

SHELF = ShelfDimensions(1000, 350, 400, 100)
BOX = BoxSize(100, 300, 380, 5)
KEY = "document|Finance Division"


def shelf(code: str, boxes: int = 0, holdings: dict | None = None, active: bool = True) -> arrangement.Candidate:
    return arrangement.Candidate(parse(code), SHELF, ShelfUse(boxes * 100_000, boxes * 5000, boxes), active,
                                 holdings or {})


# ------------------------------------------------------------- suggestions
def test_within_a_tier_a_shelf_of_its_own_beats_a_nearer_shared_one():
    candidates = [shelf("R01-01-01-1", 10, {KEY: 10}), shelf("R01-01-01-2", 4, {"drawing|Audit Office": 4}),
                  shelf("R01-01-01-3")]
    found, _ = arrangement.suggest(candidates, BOX, 3, "document", "Finance Division")
    assert [(s.location_id, s.reason) for s in found] == [("R01-01-01-3", "same_section")]


def test_shelves_holding_the_same_form_and_unit_come_first_then_the_nearest_free_space():
    candidates = [
        shelf("R01-01-01-1"), shelf("R01-01-01-2"),
        shelf("R01-02-04-1", 6, {KEY: 6}),  # the group is here
        shelf("R01-02-04-2"),  # same section
        shelf("R01-02-05-1"),  # neighbouring section
        shelf("R01-03-04-1"),  # another range
    ]
    found, shortfall = arrangement.suggest(candidates, BOX, 20, "document", "Finance Division")
    assert [(s.location_id, s.take, s.reason) for s in found] == [
        ("R01-02-04-1", 4, "same_shelf"), ("R01-02-04-2", 10, "same_section"), ("R01-02-05-1", 6, "same_range")]
    assert shortfall == 0 and [s.rank for s in found] == [1, 2, 3]


def test_a_new_group_starts_on_empty_shelves_in_empty_sections():
    candidates = [
        shelf("R01-01-01-1", 3, {"drawing|Planning": 3}),
        shelf("R01-01-01-2"),  # empty, but its section holds another group
        shelf("R01-01-02-1"), shelf("R01-01-02-2"),  # an empty section
    ]
    found, _ = arrangement.suggest(candidates, BOX, 15, "document", "Finance Division")
    assert [s.location_id for s in found] == ["R01-01-02-1", "R01-01-02-2"]
    assert {s.reason for s in found} == {"free_space"}


def test_without_the_group_anywhere_the_producing_units_other_forms_attract_it():
    candidates = [shelf("R01-01-01-1"), shelf("R01-04-01-1", 2, {"photo_film|Finance Division": 2}),
                  shelf("R01-04-01-2")]
    found, _ = arrangement.suggest(candidates, BOX, 12, "document", "Finance Division")
    # with the unit's photographs first (forms of one unit may share a shelf), then beside them
    assert [(s.location_id, s.take, s.reason) for s in found] == [("R01-04-01-1", 8, "same_unit"),
                                                                   ("R01-04-01-2", 4, "same_unit")]


def test_full_inactive_and_too_small_shelves_are_never_suggested_and_the_shortfall_is_told():
    low = arrangement.Candidate(parse("R01-01-01-3"), ShelfDimensions(1000, 200, 400, 100), ShelfUse(), True, {})
    candidates = [shelf("R01-01-01-1", 10, {KEY: 10}), shelf("R01-01-01-2", active=False), low,
                  shelf("R01-01-02-1", 8, {KEY: 8})]
    found, shortfall = arrangement.suggest(candidates, BOX, 5, "document", "Finance Division")
    assert [(s.location_id, s.fits, s.take) for s in found] == [("R01-01-02-1", 2, 2)]
    assert shortfall == 3


def test_suggestions_stop_at_the_limit_of_shelves():
    found, shortfall = arrangement.suggest([shelf(f"R01-01-01-{n}") for n in range(1, 10)], BOX, 90, limit=3)
    assert len(found) == 3 and shortfall == 60


# ------------------------------------------------------------ box statuses
@pytest.mark.parametrize("current, ok", [("unplaced", True), ("shelved", True), ("missing", True),
                                         ("reserved", False), ("checked_out", False), ("in_transfer", False)])
def test_only_boxes_in_the_stacks_or_waiting_for_them_can_be_placed(current, ok):
    if ok:
        status.check_place(current)
    else:
        with pytest.raises(status.TransitionRefused):
            status.check_place(current)


@pytest.mark.parametrize("current, target, has_home, ok", [
    ("shelved", "missing", True, True), ("missing", "shelved", True, True), ("shelved", "in_transfer", True, True),
    ("unplaced", "in_transfer", False, True), ("in_transfer", "shelved", True, True),
    ("in_transfer", "unplaced", False, True), ("in_transfer", "unplaced", True, False),
    ("reserved", "missing", True, False), ("checked_out", "shelved", True, False), ("unplaced", "missing", False, False),
    ("missing", "shelved", False, False), ("shelved", "reserved", True, False),
])
def test_manual_status_changes(current, target, has_home, ok):
    if ok:
        status.check_manual(current, target, has_home)
    else:
        with pytest.raises(status.TransitionRefused):
            status.check_manual(current, target, has_home)


def test_reserving_is_for_shelved_boxes_and_a_retry_of_the_same_loan_is_already_done():
    assert status.reserve("shelved", None, "L1") == "apply"
    assert status.reserve("reserved", "L1", "L1") == "already"
    for current, loan in (("reserved", "L2"), ("checked_out", "L2"), ("missing", None), ("unplaced", None)):
        with pytest.raises(status.TransitionRefused):
            status.reserve(current, loan, "L1")


def test_release_undoes_only_its_own_reservation_and_tolerates_nothing_to_undo():
    assert status.release("reserved", "L1", "L1") == "apply"
    assert status.release("shelved", None, "L1") == "already"  # already released, or never reserved
    assert status.release("reserved", "L2", "L1") == "already"  # someone else's: not ours to undo


def test_check_out_and_return_follow_the_loan():
    assert status.check_out("reserved", "L1", "L1") == "apply"
    assert status.check_out("checked_out", "L1", "L1") == "already"
    with pytest.raises(status.TransitionRefused):
        status.check_out("reserved", "L2", "L1")
    with pytest.raises(status.TransitionRefused):
        status.check_out("shelved", None, "L1")
    assert status.return_home("checked_out", "L1", "L1") == "apply"
    assert status.return_home("shelved", None, "L1") == "already"
    with pytest.raises(status.TransitionRefused):
        status.return_home("reserved", "L1", "L1")


# ------------------------------------------------------------ environment
TARGETS = {"paper": {"temperature_c": {"min": 18, "max": 22}, "humidity_pct": {"min": 40, "max": 55}},
           "magnetic": {"temperature_c": {"min": 13, "max": 17}}}


def test_readings_are_checked_against_every_medium_of_the_repository():
    assert env.violations(TARGETS, 16, 45) == ("paper.temperature_c.below",)
    assert env.violations(TARGETS, 20, 60) == ("paper.humidity_pct.above", "magnetic.temperature_c.above")
    assert env.violations({"paper": TARGETS["paper"]}, 20, 45) == ()
    assert env.violations(TARGETS, None, 30) == ("paper.humidity_pct.below",)  # a sensor measuring humidity only
    assert env.violations({}, 40, 99) == ()  # no targets, nothing to break
    assert env.violations({"paper": TARGETS["paper"]}, 22, 55) == ()  # bounds are inclusive


def test_only_changes_of_state_raise_events():
    assert env.change((), ("paper.temperature_c.above",)) == "EnvironmentOutOfRange"
    assert env.change(("paper.temperature_c.above",), ("paper.temperature_c.above",)) is None  # still out: quiet
    assert env.change(("paper.temperature_c.above",), ("paper.temperature_c.above", "paper.humidity_pct.above")) \
        == "EnvironmentOutOfRange"  # a new bound broken
    assert env.change(("paper.temperature_c.above", "paper.humidity_pct.above"), ("paper.humidity_pct.above",)) is None
    assert env.change(("paper.humidity_pct.above",), ()) == "EnvironmentBackInRange"
    assert env.change((), ()) is None


def test_targets_need_min_below_max():
    env.check_targets(TARGETS)
    with pytest.raises(env.InvalidTargets) as refused:
        env.check_targets({"photo_film": {"humidity_pct": {"min": 45, "max": 35}}})
    assert refused.value.field == "environment_targets.photo_film.humidity_pct"


def test_times_are_normalised_to_utc_text_that_sorts():
    assert env.normalise_time("2025-03-01T09:00:00+09:00") == "2025-03-01T00:00:00.000Z"
    assert env.normalise_time("2025-03-01T00:00:00.5Z") == "2025-03-01T00:00:00.500Z"
    with pytest.raises(ValueError):
        env.normalise_time("2025-03-01T09:00:00")  # no zone


def test_readings_are_quantised_to_sensor_precision():
    from stacks.domain.environment import quantise
    assert quantise(5e-324, "temperature_c") == 0.0
    assert quantise(21.456, "temperature_c") == 21.46
    assert quantise(47.26, "humidity_pct") == 47.3
    assert quantise(None, "humidity_pct") is None


# ----------------------------------------------------- destruction and transfer
@pytest.mark.parametrize("final", status.FINAL)
def test_a_final_box_refuses_every_change(final):
    for check in (lambda: status.check_editable(final), lambda: status.check_place(final),
                  lambda: status.check_place(final, arriving=True), lambda: status.check_remove(final, True),
                  lambda: status.check_manual(final, "shelved", True)):
        with pytest.raises(status.TransitionRefused, match=final):
            check()
    with pytest.raises(status.TransitionRefused):
        status.reserve(final, None, "L1")


def test_a_box_arriving_in_a_transfer_is_placed_but_one_leaving_is_not_moved_or_removed():
    status.check_place("in_transfer", arriving=True)
    with pytest.raises(status.TransitionRefused):
        status.check_place("in_transfer")
    with pytest.raises(status.TransitionRefused, match="transfer holds"):
        status.check_remove("in_transfer", True, leaving=True)
    status.check_remove("in_transfer", True)  # by hand, without a transfer saga: as before
    with pytest.raises(status.TransitionRefused, match="transfer holds"):
        status.check_manual("in_transfer", "shelved", True, in_transfer_saga=True)


def test_destroyed_files_leave_and_an_emptied_box_is_destroyed():
    assert status.destroy_contents(("f1", "f2", "f3"), {"f2", "x"}) == (("f2",), ("f1", "f3"), False)
    assert status.destroy_contents(("f1", "f2"), {"f1", "f2"}) == (("f1", "f2"), (), True)
    assert status.destroy_contents(("f1",), {"x"}) == ((), ("f1",), False)
    assert status.destroy_contents((), {"x"}) == ((), (), False)  # an empty box is not this run's to destroy


@pytest.mark.parametrize("box_status, transfer, files, named, verdict", [
    ("shelved", None, ("f1", "f2"), {"f1", "f2"}, "apply"),
    ("unplaced", None, ("f1",), {"f1"}, "apply"),
    ("shelved", None, ("f1", "f2"), {"f1"}, "holds-other-files"),
    ("checked_out", None, ("f1",), {"f1"}, "box-checked_out"),
    ("missing", None, ("f1",), {"f1"}, "box-missing"),
    ("in_transfer", None, ("f1",), {"f1"}, "box-in_transfer"),  # set by hand: not this transfer's
    ("in_transfer", {"id": "T2", "direction": "out"}, ("f1",), {"f1"}, "box-in_transfer"),
    ("in_transfer", {"id": "T1", "direction": "out"}, ("f1",), {"f1"}, "already"),
])
def test_a_box_goes_with_a_transfer_only_when_all_its_files_do(box_status, transfer, files, named, verdict):
    assert status.transfer_out(box_status, transfer, "T1", files, named) == verdict
