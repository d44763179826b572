"""What "today" and "now" are, for every capability.

The rule for calendar dates: a date that a person reads as a day (a loan's period and due
date, the day a loan is overdue, a counting cycle's last count and next due date, a
campaign's due-by date...) is the date in the organisation's time zone. Organisations
record no time zone yet, so wherever a capability does not know the organisation's zone
the default applies: Asia/Seoul (KST, UTC+9, no daylight saving), the working day of the
archives this system serves. So every capability agrees on the date, also between 00:00
and 09:00 KST, when the UTC date is still the day before.

Instants (created_at, occurred_at, a job's cut-off) are UTC, written as ISO 8601 with a
`Z` (`iso_instant`); only calendar dates use a zone. A zone name the platform does not
know falls back to the default rather than failing a request.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Seoul"
# Korea has kept UTC+9 all year since 1988: the default still holds where no tz database is installed.
_KST = timezone(timedelta(hours=9), "KST")


@lru_cache(maxsize=32)
def zone(name: str | None = None) -> tzinfo:
    """The organisation's time zone (an IANA name), or the default when it is unknown."""
    for candidate in (name, DEFAULT_TIMEZONE):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return _KST


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def today(time_zone: str | None = None, *, now: datetime | None = None) -> date:
    """The organisation's calendar day at `now` (the current instant by default; naive means UTC)."""
    moment = now or utc_now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone(time_zone)).date()


def iso_instant(moment: datetime | None = None) -> str:
    """An instant as stored and published: UTC, milliseconds, `Z` (naive means UTC)."""
    moment = moment or utc_now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
