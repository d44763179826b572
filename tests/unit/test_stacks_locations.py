"""Location codes and the capacity arithmetic behind the space calculator."""
from __future__ import annotations

import pytest

from stacks.domain import capacity as cap
from stacks.domain.codes import InvalidCode, LocationCode, distance, parse, parse_kind


# ------------------------------------------------------------------ codes
@pytest.mark.parametrize("text, expected, kind", [
    ("R01", LocationCode("R01"), "repository"),
    ("R01-03", LocationCode("R01", 3), "range"),
    ("R01-03-05", LocationCode("R01", 3, 5), "section"),
    ("R01-03-05-2", LocationCode("R01", 3, 5, 2), "shelf"),
    ("r01-3-5-2", LocationCode("R01", 3, 5, 2), "shelf"),  # lenient input, canonical result
    ("ARCH2-99-01-12", LocationCode("ARCH2", 99, 1, 12), "shelf"),
])
def test_codes_parse_to_their_hierarchy(text, expected, kind):
    code = parse(text)
    assert code == expected and code.kind == kind


def test_canonical_codes_round_trip_and_know_their_parents():
    code = parse("R01-3-5-2")
    assert str(code) == "R01-03-05-2"
    assert parse(str(code)) == code
    assert str(code.parent) == "R01-03-05" and str(code.parent.parent.parent) == "R01"
    assert code.parent.parent.parent.parent is None
    assert str(LocationCode("R01", 3).child(5).child(2)) == "R01-03-05-2"


@pytest.mark.parametrize("text", ["", "R", "01-03", "R01-", "R01-003", "R01-00", "R01-1-2-3-4", "R01-a",
                                  "R-01", "R01--03", "TOOLONGCODE-01", "R01-03-05-2 ", "R01_03"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(InvalidCode):
        parse(text)


def test_a_code_of_the_wrong_level_is_refused_where_a_level_is_required():
    assert parse_kind("R01-03-05-2", "shelf").shelf == 2
    with pytest.raises(InvalidCode, match="is a section, not a shelf"):
        parse_kind("R01-03-05", "shelf")
    with pytest.raises(InvalidCode):
        LocationCode("R01", 3, 5, 2).child(1)
    with pytest.raises(InvalidCode):
        LocationCode("R01").child(100)


def test_distance_prefers_the_same_section_then_neighbouring_sections_then_other_ranges():
    here = parse("R01-02-05-3")
    same_section = distance(here, parse("R01-02-05-9"))
    next_section = distance(here, parse("R01-02-06-1"))
    far_section = distance(here, parse("R01-02-09-3"))
    other_range = distance(here, parse("R01-03-05-3"))
    other_repository = distance(here, parse("R02-02-05-3"))
    assert 0 == distance(here, here) < same_section < next_section < far_section < other_range < other_repository


# --------------------------------------------------------------- capacity
SHELF = cap.ShelfDimensions(width_mm=1000, height_mm=350, depth_mm=400, load_limit_kg=100)
BOX = cap.BoxSize(width_mm=100, height_mm=300, depth_mm=380, weight_kg=5, stacking_limit=2)


def test_a_single_height_shelf_takes_boxes_side_by_side():
    assert cap.footprint_um(SHELF, BOX) == 100_000  # too low to stack two 300 mm boxes
    assert cap.boxes_that_fit(SHELF, cap.ShelfUse(), BOX) == 10


def test_stacking_and_depth_multiply_what_a_shelf_takes():
    tall_deep = cap.ShelfDimensions(width_mm=1000, height_mm=650, depth_mm=800, load_limit_kg=1000)
    assert cap.per_column(tall_deep, BOX) == 2 and cap.rows_deep(tall_deep, BOX) == 2
    assert cap.footprint_um(tall_deep, BOX) == 25_000
    assert cap.boxes_that_fit(tall_deep, cap.ShelfUse(), BOX) == 40
    no_stacking = cap.BoxSize(100, 300, 380, 5, stacking_limit=1)
    assert cap.boxes_that_fit(tall_deep, cap.ShelfUse(), no_stacking) == 20


def test_the_load_limit_caps_what_fits_even_with_width_to_spare():
    heavy = cap.BoxSize(width_mm=100, height_mm=300, depth_mm=380, weight_kg=30)
    assert cap.boxes_that_fit(SHELF, cap.ShelfUse(), heavy) == 3  # 100 kg / 30 kg
    assert cap.boxes_that_fit(SHELF, cap.ShelfUse(used_um=950_000, used_g=10_000, boxes=9), BOX) == 0


@pytest.mark.parametrize("box, reason", [
    (cap.BoxSize(100, 400, 380, 5), "high"),
    (cap.BoxSize(100, 300, 420, 5), "deep"),
    (cap.BoxSize(1200, 300, 380, 5), "wide"),
    (cap.BoxSize(100, 300, 380, 150), "weighs"),
])
def test_a_box_that_cannot_stand_on_the_shelf_is_named(box, reason):
    assert reason in cap.why_not_fits(SHELF, box)
    assert cap.boxes_that_fit(SHELF, cap.ShelfUse(), box) == 0


def test_the_write_condition_leaves_exactly_room_for_one_more_box():
    footprint = cap.footprint_um(SHELF, BOX)
    max_um, max_g = cap.limits_before(SHELF, footprint, BOX.weight_g)
    assert (max_um, max_g) == (900_000, 95_000)
    # a shelf with nine boxes (900 mm) passes the condition; with 901 mm used it does not
    assert cap.ShelfUse(900_000).used_um <= max_um < cap.ShelfUse(900_001).used_um


def test_fill_ratio_is_the_fuller_of_width_and_weight():
    assert cap.fill_ratio(SHELF, cap.ShelfUse(used_um=250_000, used_g=80_000, boxes=3)) == 0.8
    assert cap.fill_ratio(SHELF, cap.ShelfUse(used_um=500_000, used_g=10_000, boxes=5)) == 0.5


def test_totals_sum_shelves_and_inactive_shelves_offer_no_capacity():
    use = cap.ShelfUse(used_um=400_000, used_g=20_000, boxes=4)
    figures = cap.totals([(SHELF, use, True), (SHELF, cap.ShelfUse(), True), (SHELF, cap.ShelfUse(100_000, 5000, 1), False)])
    assert figures.shelves == 3 and figures.active_shelves == 2 and figures.boxes == 5
    assert figures.width_mm == 2000 and figures.used_width_mm == 500 and figures.free_width_mm == 1500
    assert figures.load_limit_kg == 200 and figures.used_weight_kg == 25
    assert figures.fill_ratio == 0.25
    assert cap.totals([]).fill_ratio == 0.0


@pytest.mark.parametrize("text", ["R01-²", "R01-①", "R01-٣", "R01-𝟓"])
def test_only_ascii_digits_number_a_location(text):
    with pytest.raises(InvalidCode):
        parse(text)
