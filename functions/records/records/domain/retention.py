"""Retention arithmetic (보존기간): when the clock starts and when a file's disposal falls due.

The clock starts on 1 January of the year after the file is closed (the only trigger so far,
`year_after_closing`): a file closed on 2026-03-10 with 5 years starts on 2027-01-01 and is due
on 2032-01-01. 준영구 (`semi_permanent`) comes up for appraisal at 70 years; 영구 (`permanent`)
is never due. Files kept 30 years or more go to the permanent archive (action `transfer`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import RETENTIONS, Rule

YEARS = {"1y": 1, "3y": 3, "5y": 5, "10y": 10, "30y": 30, "semi_permanent": 70}
TRANSFERRED = ("30y", "semi_permanent", "permanent")  # kept 30 years or more: the permanent archive's


@dataclass(frozen=True)
class Schedule:
    """What closing (or re-applying a rule) sets on a file."""

    retention: str
    action: str
    production_year: int
    retention_starts_on: str
    disposal_due: str | None


def default_action(retention: str) -> str:
    return "transfer" if retention in TRANSFERRED else "review"


def starts_on(closed_on: date) -> date:
    """1 January of the year after closing."""
    return date(closed_on.year + 1, 1, 1)


def due_on(closed_on: date, retention: str) -> date | None:
    """When the retention period ends (for 준영구: the appraisal at 70 years); None for 영구."""
    if retention not in RETENTIONS:
        raise ValueError(f"unknown retention {retention!r}")
    if retention == "permanent":
        return None
    return date(starts_on(closed_on).year + YEARS[retention], 1, 1)


def schedule(closed_on: date, rule: Rule, retention: str | None = None, action: str | None = None) -> Schedule:
    """The due dates of a file closed on `closed_on` under `rule` (an override's retention and action win)."""
    kept = retention or rule.retention
    due = due_on(closed_on, kept)
    return Schedule(retention=kept, action=action or (rule.action if retention is None else default_action(kept)),
                    production_year=closed_on.year, retention_starts_on=starts_on(closed_on).isoformat(),
                    disposal_due=due.isoformat() if due else None)
