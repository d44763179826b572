"""Quota counters: one item per client and window, counted by conditional atomic increments.

`count` adds one call to the minute's counter and to the day's (side by side), each only while
it is below its limit (the condition is in the write, so any number of concurrent calls never
pass the limit). If one is full, the other's increment is taken back: a refused call counts in
neither window (a process dying in between leaves one call too many counted: it errs strict). Counters expire through the table's TTL an hour after their window.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pynamodb.exceptions import UpdateError

from shared.problems import ServiceUnavailable

from ..domain.quotas import Usage, Window
from .tables import QuotaItem, quota_key

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="quota")  # lives as long as the environment


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
    """Add the call to every window at once (the increments run side by side: one round trip of
    latency, not one per window); if any window was full, take it back from the others."""
    used = list(_POOL.map(lambda window: _add(client_id, window), windows))
    full = next((w for w, n in zip(windows, used) if n is None), None)
    if full is None:
        return Usage(windows, tuple(used), None, now)
    for window, after in zip(windows, used):
        if after is not None:  # not counted after all
            _item(client_id, window).update(actions=[QuotaItem.n.add(-1)])
    return Usage(windows, tuple(None if n is None else n - 1 for n in used), full.name, now)


def used(client_id: str, window: Window) -> int:
    """The window's count now (0 when nothing was counted)."""
    try:
        return int(QuotaItem.get(*_key(client_id, window), consistent_read=True).n or 0)
    except QuotaItem.DoesNotExist:
        return 0


def _key(client_id: str, window: Window) -> tuple[str, str]:
    return quota_key(client_id, window.name, window.start), "COUNT"
