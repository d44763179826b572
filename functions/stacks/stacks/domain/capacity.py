"""Shelf capacity and the space calculator.

Capacity model: **equivalent width and weight**, not slots. A shelf has a width, height,
depth and load limit (from its location profile, copied onto the shelf). A box of a
container profile standing on it uses

    footprint = box width / (boxes stacked per column × rows deep)

of the shelf's width, where a column holds min(stacking limit, ⌊shelf height / box height⌋)
boxes and ⌊shelf depth / box depth⌋ rows fit one behind the other. A box fits when its
footprint fits in the free width *and* its weight fits under the remaining load. So a
1000 mm shelf takes ten 100 mm boxes standing singly, or twenty if they may be stacked
two high and the shelf is tall enough. Mixed shelves are approximated (half-filled
columns count as used), which errs on the safe side.

All quantities are integers: widths in micrometres (µm), weights in grams, so the
conditional write that keeps shelves from overfilling compares exact numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

UM_PER_MM = 1000
G_PER_KG = 1000


@dataclass(frozen=True)
class ShelfDimensions:
    width_mm: int
    height_mm: int
    depth_mm: int
    load_limit_kg: float

    @property
    def width_um(self) -> int:
        return self.width_mm * UM_PER_MM

    @property
    def load_limit_g(self) -> int:
        return kg_to_g(self.load_limit_kg)


@dataclass(frozen=True)
class BoxSize:
    width_mm: int
    height_mm: int
    depth_mm: int
    weight_kg: float
    stacking_limit: int = 1

    @property
    def weight_g(self) -> int:
        return kg_to_g(self.weight_kg)


@dataclass(frozen=True)
class ShelfUse:
    """What is on a shelf now (the counters kept on the shelf item)."""

    used_um: int = 0
    used_g: int = 0
    boxes: int = 0


def kg_to_g(kg: float) -> int:
    return int(round(kg * G_PER_KG))


def why_not_fits(shelf: ShelfDimensions, box: BoxSize) -> str | None:
    """None if a box of this size can stand on an empty shelf of these dimensions, else why not."""
    if box.height_mm > shelf.height_mm:
        return f"the box is {box.height_mm} mm high; the shelf has {shelf.height_mm} mm"
    if box.depth_mm > shelf.depth_mm:
        return f"the box is {box.depth_mm} mm deep; the shelf is {shelf.depth_mm} mm"
    if box.width_mm > shelf.width_mm:
        return f"the box is {box.width_mm} mm wide; the shelf is {shelf.width_mm} mm"
    if box.weight_g > shelf.load_limit_g:
        return f"the box weighs {box.weight_kg} kg; the shelf carries {shelf.load_limit_kg} kg"
    return None


def per_column(shelf: ShelfDimensions, box: BoxSize) -> int:
    return max(1, min(box.stacking_limit, shelf.height_mm // box.height_mm))


def rows_deep(shelf: ShelfDimensions, box: BoxSize) -> int:
    return max(1, shelf.depth_mm // box.depth_mm)


def footprint_um(shelf: ShelfDimensions, box: BoxSize) -> int:
    """Shelf width (µm) one box of this size uses on this shelf; rounded up, never below 1."""
    share = per_column(shelf, box) * rows_deep(shelf, box)
    return max(1, -(-box.width_mm * UM_PER_MM // share))


def free_um(shelf: ShelfDimensions, use: ShelfUse) -> int:
    return max(0, shelf.width_um - use.used_um)


def free_g(shelf: ShelfDimensions, use: ShelfUse) -> int:
    return max(0, shelf.load_limit_g - use.used_g)


def boxes_that_fit(shelf: ShelfDimensions, use: ShelfUse, box: BoxSize) -> int:
    """How many more boxes of this size the shelf takes now."""
    if why_not_fits(shelf, box) is not None:
        return 0
    by_width = free_um(shelf, use) // footprint_um(shelf, box)
    by_weight = free_g(shelf, use) // box.weight_g if box.weight_g > 0 else by_width
    return max(0, min(by_width, by_weight))


def limits_before(shelf: ShelfDimensions, footprint: int, weight_g: int) -> tuple[int, int]:
    """The most the shelf's counters may show for one more box to fit: the conditional write
    checks `used_um <= width - footprint AND used_g <= load - weight` (DynamoDB conditions
    cannot add, so the subtraction is done here)."""
    return shelf.width_um - footprint, shelf.load_limit_g - weight_g


def fill_ratio(shelf: ShelfDimensions, use: ShelfUse) -> float:
    """The larger of width used and load used, 0..1 (a shelf full by weight is full)."""
    by_width = use.used_um / shelf.width_um if shelf.width_um else 1.0
    by_weight = use.used_g / shelf.load_limit_g if shelf.load_limit_g else 1.0
    return round(min(1.0, max(by_width, by_weight)), 4)


@dataclass(frozen=True)
class Totals:
    shelves: int = 0
    active_shelves: int = 0
    boxes: int = 0
    width_mm: float = 0
    used_width_mm: float = 0
    load_limit_kg: float = 0
    used_weight_kg: float = 0

    @property
    def free_width_mm(self) -> float:
        return round(max(0.0, self.width_mm - self.used_width_mm), 3)

    @property
    def fill_ratio(self) -> float:
        by_width = self.used_width_mm / self.width_mm if self.width_mm else 0.0
        by_weight = self.used_weight_kg / self.load_limit_kg if self.load_limit_kg else 0.0
        return round(min(1.0, max(by_width, by_weight)), 4)

    def public(self) -> dict:
        return {"shelves": self.shelves, "active_shelves": self.active_shelves, "boxes": self.boxes,
                "width_mm": round(self.width_mm, 3), "used_width_mm": round(self.used_width_mm, 3),
                "free_width_mm": self.free_width_mm, "load_limit_kg": round(self.load_limit_kg, 3),
                "used_weight_kg": round(self.used_weight_kg, 3), "fill_ratio": self.fill_ratio}


def totals(shelves: Iterable[tuple[ShelfDimensions, ShelfUse, bool]]) -> Totals:
    """Sum shelves (dimensions, use, active?) into one figure for a section, range or repository.
    Inactive shelves count their boxes but offer no capacity."""
    count = active = boxes = 0
    width = used = load = weight = 0
    for dims, use, is_active in shelves:
        count += 1
        boxes += use.boxes
        used += use.used_um
        weight += use.used_g
        if is_active:
            active += 1
            width += dims.width_um
            load += dims.load_limit_g
    return Totals(shelves=count, active_shelves=active, boxes=boxes, width_mm=width / UM_PER_MM,
                  used_width_mm=used / UM_PER_MM, load_limit_kg=load / G_PER_KG, used_weight_kg=weight / G_PER_KG)
