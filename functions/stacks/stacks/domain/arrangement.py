"""Placement suggestions that follow the arrangement scheme.

Enforcement Decree of the Public Records Act, art. 38②: records are arranged in the
stacks by record form and by producing unit. So for N boxes of one record form and
producing unit the ranking is:

1. shelves already holding that record form + producing unit (`same_shelf`);
2. then the free space nearest to them — same section, then neighbouring sections of the
   same range, then other ranges (`same_section`, `same_range`, `nearby`);
3. if the group is not shelved anywhere yet, space near the producing unit's other
   record forms (`same_unit`);
4. otherwise free space in shelf order, empty shelves in sections holding nothing else
   first, so a new group starts on clean shelves (`free_space`).

Within a rank, shelves holding no other producing unit's boxes come first (an empty shelf
two along beats the neighbouring shelf of another producing unit), then the nearest,
then shelf order.
Only active shelves that the box fits (dimensions, free width, remaining load) are
offered; the N boxes are spread over the ranked shelves, filling each before the next.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .capacity import BoxSize, ShelfDimensions, ShelfUse, boxes_that_fit
from .codes import LocationCode, distance

TIERS = ("same_shelf", "same_section", "same_range", "nearby", "same_unit", "free_space")
REASONS = {
    "same_shelf": "holds boxes of the same record form and producing unit",
    "same_section": "in the section that holds boxes of the same record form and producing unit",
    "same_range": "in the range that holds boxes of the same record form and producing unit",
    "nearby": "the nearest free space to boxes of the same record form and producing unit",
    "same_unit": "near boxes of the same producing unit",
    "free_space": "free space (no boxes of this record form and producing unit are shelved yet)",
}


@dataclass(frozen=True)
class Candidate:
    code: LocationCode
    dimensions: ShelfDimensions
    use: ShelfUse
    active: bool = True
    holdings: dict[str, int] = field(default_factory=dict)

    def holds(self, key: str) -> bool:
        return self.holdings.get(key, 0) > 0

    @property
    def groups(self) -> set[str]:
        return {k for k, n in self.holdings.items() if n > 0}


@dataclass(frozen=True)
class Suggestion:
    location_id: str
    fits: int  # boxes of the size that fit there now
    take: int  # of the N asked for, how many this suggestion places there
    reason: str
    rank: int

    def public(self) -> dict:
        return {"location_id": self.location_id, "fits": self.fits, "take": self.take, "reason": self.reason,
                "explanation": REASONS[self.reason], "rank": self.rank}


def _section(code: LocationCode) -> tuple:
    return code.repository, code.range, code.section


def rank(candidates: Iterable[Candidate], box: BoxSize, record_form: str | None,
         producing_unit: str | None) -> list[tuple[tuple, str, Candidate, int]]:
    """Candidates that take at least one box, best first: (sort key, reason, candidate, fits)."""
    shelves = list(candidates)
    key = f"{record_form}|{producing_unit}" if record_form and producing_unit else None
    same = [c.code for c in shelves if key and c.holds(key)]
    unit = [c.code for c in shelves if producing_unit and any(g.split("|", 1)[1] == producing_unit for g in c.groups)]
    busy_sections = {_section(c.code) for c in shelves if c.groups}
    ranked = []
    for c in shelves:
        fits = boxes_that_fit(c.dimensions, c.use, box) if c.active else 0
        if fits <= 0:
            continue
        # mixing producing units on one shelf is what the scheme avoids (forms of one unit may share)
        others = any(g.split("|", 1)[1] != producing_unit for g in c.groups) if producing_unit else bool(c.groups)
        if same:
            d = min(distance(c.code, s) for s in same)
            reason = ("same_shelf" if d == 0 else "same_section" if d < 100
                      else "same_range" if d < 10_000 else "nearby")
        elif unit:
            d = min(distance(c.code, u) for u in unit)
            reason = "same_unit"
        else:
            d = (1 if c.groups else 0) * 2 + (1 if _section(c.code) in busy_sections else 0)
            reason = "free_space"
        # within a tier, a shelf holding no other group beats a nearer one that would mix groups
        ranked.append(((TIERS.index(reason), others, d, c.code), reason, c, fits))
    ranked.sort(key=lambda entry: entry[0])
    return ranked


def suggest(candidates: Iterable[Candidate], box: BoxSize, count: int, record_form: str | None = None,
            producing_unit: str | None = None, limit: int = 20) -> tuple[list[Suggestion], int]:
    """Where `count` boxes of this size should go: (suggestions, how many could not be placed).
    At most `limit` shelves are suggested."""
    remaining = count
    suggestions: list[Suggestion] = []
    for position, (_, reason, candidate, fits) in enumerate(rank(candidates, box, record_form, producing_unit), 1):
        if remaining <= 0 or len(suggestions) >= limit:
            break
        take = min(fits, remaining)
        suggestions.append(Suggestion(str(candidate.code), fits, take, reason, position))
        remaining -= take
    return suggestions, max(0, remaining)
