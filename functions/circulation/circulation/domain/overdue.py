"""Overdue loans: out past the last day of their period, chased once a day each.

Open loans sit in a sparse index sorted by due date, so "everything due before today" is a
range read; each loan found gets at most one `LoanOverdue` event per day (a marker item keyed
by loan and day is written with the event, conditionally).
"""
from __future__ import annotations

from datetime import date


def is_overdue(due: str, today: date) -> bool:
    return date.fromisoformat(due) < today


def days_overdue(due: str, today: date) -> int:
    return max(0, (today - date.fromisoformat(due)).days)
