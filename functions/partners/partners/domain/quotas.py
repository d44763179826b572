"""Hard quotas: fixed windows per client, and how their state is told to the caller.

Two windows, a UTC minute and a UTC day, each counted by one counter per client and window
(data/quotas.py: a conditional atomic increment that never passes the limit). A call counts
in both or in neither. Over a limit the call is refused with 429 and `Retry-After` (seconds
to the end of the window that is full); every partner answer carries the IETF httpapi
ratelimit-headers draft's fields (draft-ietf-httpapi-ratelimit-headers-10):

    RateLimit-Policy: "minute";q=60;w=60, "day";q=10000;w=86400
    RateLimit: "minute";r=59;t=12, "day";r=9950;t=43212

(q: quota units, w: window seconds, r: remaining units, t: seconds until the window resets).
"""
from __future__ import annotations

from dataclasses import dataclass
import math

from .model import Quota

MINUTE, DAY = 60, 86_400


@dataclass(frozen=True)
class Window:
    name: str  # "minute" | "day"
    length: int  # seconds
    limit: int
    start: int  # epoch seconds at which this window began

    def reset_in(self, now: float) -> int:
        """Whole seconds until the next window begins (at least 1)."""
        return max(1, math.ceil(self.start + self.length - now))

    def expires_at(self) -> int:
        """When its counter may go (TTL): an hour after the window ends."""
        return self.start + self.length + 3600


def windows(quota: Quota, now: float) -> tuple[Window, Window]:
    second = int(now)
    return (Window("minute", MINUTE, quota.per_minute, second - second % MINUTE),
            Window("day", DAY, quota.per_day, second - second % DAY))


@dataclass(frozen=True)
class Usage:
    """A counted (or refused) call: units used in each window, and the window that was full, if any."""

    windows: tuple[Window, ...]
    used: tuple[int | None, ...]  # per window; None where the call did not get that far
    exceeded: str | None = None
    now: float = 0.0

    def retry_after(self) -> int | None:
        for window in self.windows:
            if window.name == self.exceeded:
                return window.reset_in(self.now)
        return None

    def policy_header(self) -> str:
        return ", ".join(f'"{w.name}";q={w.limit};w={w.length}' for w in self.windows)

    def header(self) -> str:
        parts = []
        for window, used in zip(self.windows, self.used):
            if window.name == self.exceeded:
                used = window.limit
            if used is None:
                continue
            parts.append(f'"{window.name}";r={max(0, window.limit - used)};t={window.reset_in(self.now)}')
        return ", ".join(parts)
