"""Location codes: `R01-03-05-2` = repository R01, range (서가) 3, section (연) 5, shelf (단) 2.

A location's code is also its id: it is the address printed on the shelf label and
spoken in the stacks, it is unique within an organisation by construction, and it
carries the whole hierarchy (the parent of `R01-03-05-2` is `R01-03-05`). Ranges and
sections are written with two digits, shelves without padding, as in Korean practice.
Parsing is lenient (`R01-3-5-2` is accepted) and always yields the canonical form.
"""
from __future__ import annotations

from dataclasses import dataclass
import re

KINDS = ("repository", "range", "section", "shelf")
CHILD_KIND = {"repository": "range", "range": "section", "section": "shelf"}
REPOSITORY_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
_NUMBER = re.compile(r"[0-9]{1,2}")
MAX_NUMBER = 99


class InvalidCode(ValueError):
    """The text is not a location code."""


@dataclass(frozen=True, order=True)
class LocationCode:
    repository: str
    range: int | None = None
    section: int | None = None
    shelf: int | None = None

    @property
    def kind(self) -> str:
        if self.shelf is not None:
            return "shelf"
        if self.section is not None:
            return "section"
        if self.range is not None:
            return "range"
        return "repository"

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(n for n in (self.range, self.section, self.shelf) if n is not None)

    @property
    def parent(self) -> "LocationCode | None":
        numbers = self.numbers
        if not numbers:
            return None
        return LocationCode(self.repository, *numbers[:-1])

    @property
    def number(self) -> int | None:
        return self.numbers[-1] if self.numbers else None

    def child(self, number: int) -> "LocationCode":
        if self.kind == "shelf":
            raise InvalidCode("A shelf has no children.")
        _check_number(number)
        return LocationCode(self.repository, *self.numbers, number)

    def __str__(self) -> str:
        parts = [self.repository]
        if self.range is not None:
            parts.append(f"{self.range:02d}")
        if self.section is not None:
            parts.append(f"{self.section:02d}")
        if self.shelf is not None:
            parts.append(str(self.shelf))
        return "-".join(parts)


def _check_number(number: int) -> None:
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_NUMBER:
        raise InvalidCode(f"Range, section and shelf numbers run from 1 to {MAX_NUMBER}.")


def parse(text: str) -> LocationCode:
    """`R01-03-05-2` → LocationCode('R01', 3, 5, 2); raises InvalidCode."""
    if not isinstance(text, str) or not 2 <= len(text) <= 20:
        raise InvalidCode("A location code looks like R01-03-05-2.")
    head, *rest = text.upper().split("-")
    if not REPOSITORY_CODE.match(head) or len(rest) > 3:
        raise InvalidCode("A location code looks like R01-03-05-2 (repository-range-section-shelf).")
    numbers = []
    for part in rest:
        if not _NUMBER.fullmatch(part):  # ASCII digits only: str.isdigit() also takes '²' and '①'
            raise InvalidCode(f"{part!r} is not a range, section or shelf number (1-{MAX_NUMBER}).")
        number = int(part)
        _check_number(number)
        numbers.append(number)
    return LocationCode(head, *numbers)


def parse_kind(text: str, kind: str) -> LocationCode:
    code = parse(text)
    if code.kind != kind:
        raise InvalidCode(f"{text} is a {code.kind}, not a {kind}.")
    return code


def distance(a: LocationCode, b: LocationCode) -> int:
    """How far apart two shelves are for a person walking the stacks: the same section is
    closest, then neighbouring sections of the same range, then other ranges; another
    repository is farthest of all."""
    if a.repository != b.repository:
        return 1_000_000
    ar, asec, ash = (a.range or 0), (a.section or 0), (a.shelf or 0)
    br, bsec, bsh = (b.range or 0), (b.section or 0), (b.shelf or 0)
    if ar != br:
        return 10_000 + 1_000 * abs(ar - br) + 10 * abs(asec - bsec) + abs(ash - bsh)
    if asec != bsec:
        return 100 * abs(asec - bsec) + abs(ash - bsh)
    return abs(ash - bsh)
