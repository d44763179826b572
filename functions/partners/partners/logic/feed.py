"""The change feed: partners read their organisation's events in order; the consumer keeps the copy.

A read returns the entries after the cursor that the client's event types allow, and a cursor
to resume from (always one: a partner that was down catches up by following it). With `wait`,
an empty read becomes a long poll: it sleeps between looks at the feed's head (one small read,
at growing intervals up to a second), never spinning, and answers as soon as an entry it may
see arrives, or empty when the time is up.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from shared.auth import Partner
from shared.observability import logger
from shared.problems import ValidationFailed
from shared.readmodel import append_to_chains

from ..data import feed as store
from ..domain.feed import RETENTION_SECONDS, entry, organisations_of, visible

SLEEP: Callable[[float], None] = time.sleep  # the long poll's pause (tests may replace it)
CLOCK: Callable[[], float] = time.monotonic
POLL_INTERVALS = (0.1, 0.2, 0.4, 0.8, 1.0)


FEED_EVENTS_PER_TX = 45  # an event is two writes (claim, entry), the head's move one more: DynamoDB takes 100


def record_events(envelopes: list[dict[str, Any]]) -> dict[int, int | Exception]:
    """`record_event` for a batch: per envelope index, how many feeds took it, or the exception that kept
    it out of one (it comes again; its claim makes a second try append nothing twice). Each
    organisation's head is read once and its events appended together, several organisations to a
    transaction (shared.readmodel.append_to_chains); a refused transaction is retried per organisation
    from its head as it now is (`data.append_many`), and event by event if an event was there already."""
    expires = int(time.time()) + RETENTION_SECONDS
    feeds: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    refused: dict[int, int | Exception] = {}
    for index, envelope in enumerate(envelopes):
        if not all(isinstance(envelope.get(name), str) and envelope[name] for name in ("id", "source", "type")):
            refused[index] = ValidationFailed("Not a domain-event envelope: it needs an id, a source and a type.")
            continue
        for org_id in organisations_of(envelope):
            feeds.setdefault(org_id, {}).setdefault(envelope["id"], (index, envelope))  # twice in a batch: once
    if not feeds:
        return refused
    for org_id, event_id in store.in_feed([(o, e) for o, events in feeds.items() for e in events]):
        feeds[org_id].pop(event_id)  # delivered again: nothing to append
    feeds = {org_id: events for org_id, events in feeds.items() if events}
    return refused | append_to_chains(
        {org_id: list(events.values()) for org_id, events in feeds.items()}, store.heads(list(feeds)), tx=store.Tx,
        stage=lambda tx, org_id, last, part: store.stage_appends(tx, org_id, last or 0, part, expires),
        advance=lambda last, part: (last or 0) + len(part),
        redo=lambda org_id, part: dict(zip([index for index, _ in part],
                                           map(int, store.append_many(org_id, [e for _, e in part], expires)))),
        per_tx=FEED_EVENTS_PER_TX)


def record_event(envelope: dict[str, Any]) -> int:
    """Append an event to the feed of each organisation it belongs to: how many feeds took it (0 when
    every one had it already, or it belongs to none)."""
    expires = int(time.time()) + RETENTION_SECONDS
    return sum(store.append(org_id, envelope, expires) for org_id in organisations_of(envelope))


def _wait_for_entries(org_id: str, seq: int, deadline: float) -> bool:
    """Sleep until the feed has an entry after `seq` (True) or the deadline passes (False)."""
    step = 0
    while CLOCK() < deadline:
        SLEEP(min(POLL_INTERVALS[min(step, len(POLL_INTERVALS) - 1)], max(0.0, deadline - CLOCK())))
        step += 1
        if store.head(org_id) > seq:
            return True
    return False


def read_feed(partner: Partner, after: str | None, limit: int, wait: int) -> tuple[list[dict[str, Any]], str]:
    org_id = partner.require_scope("feed:read")
    seq = store.position(org_id, after)
    deadline = CLOCK() + wait

    def keep(envelope: dict[str, Any]) -> bool:
        return visible(envelope, partner.event_types)

    while True:
        found, seq = store.entries_after(org_id, seq, limit, keep)
        if found or wait <= 0 or not _wait_for_entries(org_id, seq, deadline):
            break
    items = [entry(envelope, store.cursor(org_id, number)) for number, envelope in found]
    logger.info("feed read", extra={"partner_client_id": partner.client_id, "entries": len(items)})
    return items, store.cursor(org_id, seq)
