"""The change feed's entries (keys: see tables.py): appended once per event, read in order.

An append is one transaction: the organisation's head moves from n to n+1 (conditional on n),
entry n+1 is put, and the event's claim is put (conditional on none). Two appends to one
organisation cannot both commit the same n, so commits happen in sequence order and a reader
who has seen entry n has seen every entry below it; a redelivered event fails on its claim and
changes nothing. Serialising per organisation bounds one organisation's feed to the rate of
these transactions (hundreds a second), far above an archive's domain events. A batch of events
for one organisation is appended the same way in one transaction (`stage_appends`): the head
moves once past all of them.
"""
from __future__ import annotations

import json
import random
import time
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.pagination import decode_cursor, encode_cursor
from shared.problems import InvalidCursor, ServiceUnavailable

from .tables import FEED_HEAD, FeedClaimItem, FeedEntryItem, FeedHeadItem, claim_key, feed_key, seq_key
from .tx import Tx, read

APPEND_ATTEMPTS = 20
MAX_EXAMINED = 500  # entries one read looks at (those the client may not see are skipped)


class _HeadMoved(Exception):
    pass


class _AlreadyInFeed(Exception):
    pass


def head(org_id: str) -> int:
    """The number of the organisation's last entry (0: none yet)."""
    try:
        return int(read(FeedHeadItem.get, feed_key(org_id), FEED_HEAD, consistent_read=True).seq)
    except DoesNotExist:
        return 0


def heads(org_ids: list[str]) -> dict[str, int]:
    """The number of each organisation's last entry, read consistently, 100 to a BatchGetItem (an
    organisation whose feed is empty is absent)."""
    by_key = {feed_key(org_id): org_id for org_id in org_ids}
    items = read(lambda: list(FeedHeadItem.batch_get([(pk, FEED_HEAD) for pk in by_key], consistent_read=True)))
    return {by_key[item.pk]: int(item.seq) for item in items}


def in_feed(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (organisation, event id) pairs are in their feed already (their claims, read consistently,
    100 to a BatchGetItem): a batch delivered again after a timeout skips them instead of failing its
    transactions on their claims and going event by event into the next timeout."""
    wanted = {claim_key(org_id, event_id): (org_id, event_id) for org_id, event_id in pairs}
    items = read(lambda: list(FeedClaimItem.batch_get([(pk, "CLAIM") for pk in wanted], consistent_read=True)))
    return {wanted[item.pk] for item in items}


def stage_appends(tx: Any, org_id: str, last: int, envelopes: list[dict[str, Any]], expires_at: int) -> None:
    """Add to `tx` entries last+1, last+2, … for `envelopes` (each only if no entry has its number and the
    event was never claimed) and the head's move from `last` (conditional on it): all or none commit, so
    a reader who has seen an entry has still seen every one below it."""
    pk = feed_key(org_id)
    for seq, envelope in enumerate(envelopes, start=last + 1):
        tx.put(FeedClaimItem(pk=claim_key(org_id, envelope["id"]), sk="CLAIM", seq=seq, expiration=expires_at),
               condition=FeedClaimItem.pk.does_not_exist(), on_fail=_AlreadyInFeed)
        tx.put(FeedEntryItem(pk=pk, sk=seq_key(seq), seq=seq, event_id=envelope["id"], source=envelope["source"],
                             event_type=envelope["type"], envelope=json.dumps(envelope, separators=(",", ":")),
                             expiration=expires_at),
               condition=FeedEntryItem.pk.does_not_exist(), on_fail=_HeadMoved)
    tx.update(FeedHeadItem(pk=pk, sk=FEED_HEAD), [FeedHeadItem.seq.set(last + len(envelopes))],
              condition=FeedHeadItem.seq == last if last else FeedHeadItem.pk.does_not_exist(), on_fail=_HeadMoved)


def append_many(org_id: str, envelopes: list[dict[str, Any]], expires_at: int) -> list[bool]:
    """Append events to the organisation's feed together, after its head as it now is; per event, False
    if it was there already. Another batch moving the head first (two of one queue run at once, and an
    organisation has one head) makes this read it again and retry the whole part, with back-off; an
    event already in the feed makes it go one event at a time."""
    for attempt in range(APPEND_ATTEMPTS):
        tx = Tx()
        stage_appends(tx, org_id, head(org_id), envelopes, expires_at)
        try:
            tx.run()
            return [True] * len(envelopes)
        except _AlreadyInFeed:
            break
        except _HeadMoved:
            time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    return [append(org_id, envelope, expires_at) for envelope in envelopes]


def append(org_id: str, envelope: dict[str, Any], expires_at: int) -> bool:
    """Append the event to the organisation's feed; False if it is there already."""
    for attempt in range(APPEND_ATTEMPTS):
        tx = Tx()
        stage_appends(tx, org_id, head(org_id), [envelope], expires_at)
        try:
            tx.run()
            return True
        except _AlreadyInFeed:
            return False
        except _HeadMoved:
            time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # back-off: another append won the number
    raise ServiceUnavailable("The feed is busy; the event is retried.")


def cursor(org_id: str, seq: int) -> str:
    return encode_cursor({"pk": feed_key(org_id), "sk": seq_key(seq)})


def position(org_id: str, after: str | None) -> int:
    """The entry number a cursor stands at (0: the beginning); another organisation's cursor is refused."""
    key = decode_cursor(after, expected={"pk": feed_key(org_id)}, keys={"pk", "sk"})
    if key is None:
        return 0
    number = key["sk"].removeprefix("SEQ#")
    if not (key["sk"].startswith("SEQ#") and number.isascii() and number.isdigit()):
        raise InvalidCursor("The cursor is not one this API issued.")
    return int(number)


def entries_after(org_id: str, seq: int, limit: int, keep) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Up to `limit` entries after `seq` that `keep(envelope)` accepts, in order, and the number of the last
    entry looked at (at most MAX_EXAMINED are): a reader resumes after it, past entries it may not see."""
    found: list[tuple[int, dict[str, Any]]] = []
    last = seq
    result = FeedEntryItem.query(feed_key(org_id), FeedEntryItem.sk.between(seq_key(seq + 1), seq_key(10 ** 12 - 1)),
                                 consistent_read=True, limit=MAX_EXAMINED, page_size=min(MAX_EXAMINED, limit * 4))

    def scan() -> None:
        nonlocal last
        for item in result:
            envelope = json.loads(item.envelope)
            last = int(item.seq)
            if keep(envelope):
                found.append((last, envelope))
                if len(found) >= limit:
                    return
    read(scan)
    return found, last
