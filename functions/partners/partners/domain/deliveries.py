"""Deliveries of events to subscriptions, their attempts and the retry schedule (no clock of its own).

A delivery is one event for one subscription. Its id (`msg_…`) is the `webhook-id` of every
attempt, so a receiver deduplicates on it. States:

    pending ──2xx──────────────────────────────▶ delivered
       │  ──410 Gone (the subscription is disabled)▶ failed
       │  ──any other failure, tries left──▶ pending (next attempt on the schedule)
       │  ──failure of the last try────────▶ failed (and a copy to the dead-letter queue)
       └─ the subscription is disabled ────▶ failed
    delivered | failed ──redeliver──▶ pending (a new round of the schedule, the same id)

The schedule (Standard Webhooks' example): immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 14 h, 20 h and 24 h after the previous try: ten tries over about 75 hours (three days
and a bit). Each wait is spread by ±10 % (jitter) so a receiver that failed under load is not
hit again by every delivery at one instant. A `Retry-After` on the response (seconds or an
HTTP date; capped at 24 h) is honoured: the next try is never earlier. 429, 502 and 504 mean
the receiver is overloaded: besides this delivery's own retry, the whole subscription is
throttled (its other deliveries wait) for the Retry-After or THROTTLE_SECONDS. 3xx is a
failure (redirects are not followed: the partner updates the URL instead).

Each `*_at` instant here is epoch seconds (a float) given by the caller, so tests drive the
schedule with a controllable clock.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
import hashlib
import random
from typing import Any

SCHEDULE_SECONDS = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
TRIES = len(SCHEDULE_SECONDS)
JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 24 * 3600
THROTTLE_STATUSES = frozenset({429, 502, 504})
THROTTLE_SECONDS = 30
TIMEOUT_SECONDS = 15
EXCERPT_BYTES = 1024
DELIVERY_STATUSES = ("pending", "delivered", "failed")
OUTCOMES = ("delivered", "failed", "timeout", "unreachable", "refused", "gone", "throttled")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def delivery_id(event_id: str, subscription_id: str, occurred_ms: int) -> str:
    """`msg_` + a ULID-shaped id: 48 bits of the event's time (so ids sort by event time and a time
    range is a key range) and 80 bits derived from the event and the subscription (so the same
    event fanned out twice makes the same delivery, never a second one)."""
    entropy = int.from_bytes(hashlib.sha256(f"{event_id}|{subscription_id}".encode()).digest()[:10], "big")
    return "msg_" + _base32((max(0, occurred_ms) & (2 ** 48 - 1)) << 80 | entropy, 26)


def id_bound(epoch_seconds: float, *, upper: bool) -> str:
    """The smallest (or greatest) delivery id of events at that instant: the bounds of a time range."""
    ms = max(0, int(epoch_seconds * 1000)) & (2 ** 48 - 1)
    return "msg_" + _base32(ms << 80 | ((2 ** 80 - 1) if upper else 0), 26)


def id_time(delivery_id: str) -> float:
    """The event's instant (epoch seconds) a delivery id begins with."""
    value = 0
    for ch in delivery_id.removeprefix("msg_")[:10]:
        value = value * 32 + _CROCKFORD.index(ch)
    return value / 1000  # 26 characters hold 130 bits: the first 10 are two zero bits and the 48 of the time


def _base32(value: int, length: int) -> str:
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(length)))


def new_ticket(rng: random.Random) -> str:
    """A fresh token for the queue message of the next try: a message whose token is not the
    delivery's is stale (a redelivery or a duplicate message got there first) and does nothing."""
    return f"{rng.getrandbits(64):016x}"


def next_wait(tries_done: int, rng: random.Random) -> float | None:
    """Seconds from a failed try to the next (tries_done: tries of this round so far, ≥ 1), jittered;
    None when the round's last try has been made."""
    if tries_done >= TRIES:
        return None
    base = SCHEDULE_SECONDS[tries_done]
    return base * (1 + rng.uniform(-JITTER, JITTER))


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header (delay-seconds or an HTTP date) as seconds from now, capped; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    return min(max(seconds, 0.0), float(MAX_RETRY_AFTER_SECONDS))


def excerpt(body: bytes) -> str:
    """At most EXCERPT_BYTES of a response body as text (a character cut in two is dropped)."""
    return body[:EXCERPT_BYTES].decode("utf-8", errors="ignore")


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Response:
    """What one try found: a status (None when no HTTP answer came), or the error that stopped it."""

    status: int | None
    latency_ms: int
    excerpt: str = ""  # the first EXCERPT_BYTES of the body, as text
    retry_after: str | None = None
    error: str | None = None  # "timeout", "unreachable: …", "refused: private address", …

    @property
    def outcome(self) -> str:
        if self.status is None:
            return (self.error or "unreachable").split(":")[0]
        if 200 <= self.status < 300:
            return "delivered"
        if self.status == 410:
            return "gone"
        if self.status in THROTTLE_STATUSES:
            return "throttled"
        return "failed"


@dataclass(frozen=True)
class Attempt:
    """One try, as the delivery log shows it."""

    org_id: str
    subscription_id: str
    delivery_id: str
    number: int  # 1, 2, … over the delivery's whole life (rounds included)
    at: str
    outcome: str
    status: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None = None
    next_attempt_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "number": self.number, "at": self.at, "outcome": self.outcome,
                "status": self.status, "latency_ms": self.latency_ms, "response_excerpt": self.response_excerpt,
                "error": self.error, "next_attempt_at": self.next_attempt_at}


@dataclass(frozen=True)
class Delivery:
    org_id: str
    subscription_id: str
    id: str
    client_id: str
    event_id: str
    event_type: str
    body: str  # the exact payload, signed and sent on every try
    status: str = "pending"
    attempts: int = 0  # tries made, every round
    round_start: int = 0  # `attempts` when the current round began (a redelivery starts one)
    ticket: str = ""  # the token of the one queue message that may make the next try (others are stale)
    next_attempt_at: float | None = None
    last_status: int | None = None
    last_outcome: str | None = None
    delivered_at: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @property
    def round_tries(self) -> int:
        return self.attempts - self.round_start

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "subscription_id": self.subscription_id, "event_id": self.event_id,
                "event_type": self.event_type, "status": self.status, "attempts": self.attempts,
                "next_attempt_at": iso(self.next_attempt_at) if self.status == "pending" else None,
                "last_status": self.last_status, "last_outcome": self.last_outcome,
                "delivered_at": self.delivered_at, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class Decision:
    """What a try changes: the delivery (and its next try), the log line, and the subscription's fate."""

    delivery: Delivery
    attempt: Attempt
    disable: str | None = None  # the reason the subscription is disabled (410)
    throttle_until: float | None = None
    dead_letter: bool = False


def after_try(delivery: Delivery, response: Response, *, now: float, rng: random.Random) -> Decision:
    """The delivery after one try made at `now` (epoch seconds)."""
    outcome = response.outcome
    tries = delivery.round_tries + 1
    retry_after = retry_after_seconds(response.retry_after, now)
    status, next_at, disable, throttle, dead = "pending", None, None, None, False
    if outcome == "delivered":
        status = "delivered"
    elif outcome == "gone":
        status, disable = "failed", "the endpoint answered 410 Gone"
    else:
        wait = next_wait(tries, rng)
        if wait is None:
            status, dead = "failed", True
        else:
            next_at = now + max(wait, retry_after or 0.0)
        if outcome == "throttled":
            throttle = now + (retry_after if retry_after is not None else THROTTLE_SECONDS)
    at = iso(now) or ""
    moved = replace(delivery, status=status, attempts=delivery.attempts + 1,
                    ticket=new_ticket(rng) if status == "pending" else "",
                    next_attempt_at=next_at, last_status=response.status, last_outcome=outcome,
                    delivered_at=at if status == "delivered" else delivery.delivered_at, updated_at=at)
    attempt = Attempt(delivery.org_id, delivery.subscription_id, delivery.id, delivery.attempts + 1, at, outcome,
                      response.status, response.latency_ms, excerpt(response.excerpt.encode("utf-8")), response.error,
                      iso(next_at))
    return Decision(moved, attempt, disable, throttle, dead)


def redelivered(delivery: Delivery, *, now: float, rng: random.Random) -> Delivery:
    """A new round of the schedule from now; the id (webhook-id) stays."""
    return replace(delivery, status="pending", round_start=delivery.attempts, ticket=new_ticket(rng),
                   next_attempt_at=now, updated_at=iso(now) or "")


def abandoned(delivery: Delivery, *, now: float, outcome: str) -> Delivery:
    """No try is made: the subscription is disabled or gone."""
    return replace(delivery, status="failed", ticket="", next_attempt_at=None,
                   last_outcome=outcome, updated_at=iso(now) or "")

