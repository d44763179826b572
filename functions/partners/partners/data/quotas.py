"""Quota counters: one item per client and window, counted by conditional atomic increments.

`count` adds one call to the minute's counter, then to the day's, each only while it is below
its limit (the condition is in the write, so any number of concurrent calls never pass the
limit). If the day is full, the minute's increment is taken back: a refused call counts in
neither window. Counters expire through the table's TTL an hour after their window.
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from shared.problems import ServiceUnavailable

from ..domain.quotas import Usage, Window
from .tables import QuotaItem, quota_key


def _item(client_id: str, window: Window) -> QuotaItem:
    return QuotaItem(pk=quota_key(client_id, window.name, window.start), sk="COUNT")


def _add(client_id: str, window: Window) -> int | None:
    """The window's count after adding this call; None when it is full (nothing added)."""
    item = _item(client_id, window)
    try:
        item.update(actions=[QuotaItem.n.add(1), QuotaItem.expiration.set(window.expires_at())],
                    condition=QuotaItem.n.does_not_exist() | (QuotaItem.n < window.limit))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise ServiceUnavailable("The partners store is unavailable.") from exc
    return int(item.n)


def count(client_id: str, windows: tuple[Window, ...], now: float) -> Usage:
    used: list[int | None] = []
    for index, window in enumerate(windows):
        after = _add(client_id, window)
        if after is None:
            for earlier in windows[:index]:  # not counted after all
                _item(client_id, earlier).update(actions=[QuotaItem.n.add(-1)])
            used = [n - 1 for n in used if n is not None]
            return Usage(windows, tuple(used) + (None,) * (len(windows) - index), window.name, now)
        used.append(after)
    return Usage(windows, tuple(used), None, now)


def used(client_id: str, window: Window) -> int:
    """The window's count now (0 when nothing was counted)."""
    try:
        return int(QuotaItem.get(*_key(client_id, window), consistent_read=True).n or 0)
    except QuotaItem.DoesNotExist:
        return 0


def _key(client_id: str, window: Window) -> tuple[str, str]:
    return quota_key(client_id, window.name, window.start), "COUNT"
