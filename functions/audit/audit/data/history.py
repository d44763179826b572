"""Histories in the audit table (keys: see tables.py).

Appending is one transaction: advance the head only from the seq we read, write the entry,
and write the receipt only if this event was never appended. A batch appends several events
to a chain in one transaction the same way (`stage_appends`): the head moves once, from the
seq that was read, past all of them.
"""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..domain.chain import GENESIS, link
from .chains import head_shard
from .tables import ENTRY_PREFIX, EntryItem, HeadItem, ReceiptItem, entity_key, entry_key, receipt_key
from .tx import Tx, page, read


APPEND_ATTEMPTS = 5


class AlreadyAppended(Exception):
    pass


class HeadMoved(Exception):
    pass


def head(org_id: str | None, entity_id: str) -> dict[str, Any] | None:
    try:
        item = read(HeadItem.get, entity_key(org_id, entity_id), "HEAD", consistent_read=True)
    except DoesNotExist:
        return None
    return {"seq": int(item.seq), "hash": item.hash, "kind": item.kind}


def heads(chains: list[tuple[str | None, str]]) -> dict[tuple[str | None, str], dict[str, Any]]:
    """The heads of many chains ((org, entity) each), read consistently, 100 to a BatchGetItem; a chain
    never appended to is absent."""
    by_key = {entity_key(org_id, entity_id): (org_id, entity_id) for org_id, entity_id in chains}
    items = read(lambda: list(HeadItem.batch_get([(pk, "HEAD") for pk in by_key], consistent_read=True)))
    return {by_key[item.pk]: {"seq": int(item.seq), "hash": item.hash, "kind": item.kind} for item in items}


def appended(pairs: list[tuple[tuple[str | None, str], str]]) -> set[tuple[tuple[str | None, str], str]]:
    """Which ((org, entity), event id) pairs are in their chain already (their receipts, read consistently,
    100 to a BatchGetItem): a batch delivered again after a timeout skips them instead of failing its
    transactions on their receipts and going event by event into the next timeout."""
    wanted = {(entity_key(*chain), receipt_key(event_id)): (chain, event_id) for chain, event_id in pairs}
    items = read(lambda: list(ReceiptItem.batch_get(list(wanted), consistent_read=True)))
    return {wanted[(item.pk, item.sk)] for item in items}


def append(entity_id: str, kind: str, org_id: str | None, event: dict[str, Any]) -> int:
    tx = Tx()
    after = stage_appends(tx, entity_id, kind, org_id, head(org_id, entity_id), [event])
    tx.run()
    return after["seq"]


def append_many(entity_id: str, kind: str, org_id: str | None, events: list[dict[str, Any]]) -> bool:
    """Append events to a chain together, after its head as it now is: True if they were, False if one
    of them was appended before (the caller goes event by event). A head moved meanwhile (another batch
    appended to this chain) is read again, a few times; then HeadMoved is raised."""
    for _ in range(APPEND_ATTEMPTS):
        tx = Tx()
        stage_appends(tx, entity_id, kind, org_id, head(org_id, entity_id), events)
        try:
            tx.run()
            return True
        except AlreadyAppended:
            return False
        except HeadMoved:
            continue
    raise HeadMoved(entity_id)


def stage_appends(tx: Any, entity_id: str, kind: str, org_id: str | None, current: dict[str, Any] | None,
                  events: list[dict[str, Any]]) -> dict[str, Any]:
    """Add to `tx` the entries of `events`, in order, after the head `current` (None: a new chain): each
    event's entry and its receipt (only if that event was never appended to this chain), and the head
    advanced once, only from the seq that was read. Answers the head after them."""
    pk = entity_key(org_id, entity_id)
    seq = current["seq"] if current else 0
    digest = current["hash"] if current else GENESIS
    for event in events:
        prev, seq = digest, seq + 1
        digest = link(prev, seq, event)
        tx.put(ReceiptItem(pk=pk, sk=receipt_key(event["id"]), seq=seq), condition=ReceiptItem.pk.does_not_exist(),
               on_fail=AlreadyAppended(event["id"]))
        tx.put(EntryItem(pk=pk, sk=entry_key(seq), seq=seq, prev_hash=prev, hash=digest, event=event))
    tx.put(HeadItem(pk=pk, sk="HEAD", seq=seq, hash=digest, kind=kind, head_shard=head_shard(pk)),
           condition=(HeadItem.seq == current["seq"]) if current else HeadItem.pk.does_not_exist(),
           on_fail=HeadMoved(entity_id))
    return {"seq": seq, "hash": digest, "kind": kind}


def entries(org_id: str | None, entity_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return page(EntryItem, entity_key(org_id, entity_id), ENTRY_PREFIX, limit, cursor, consistent=True,
                convert=lambda i: {"seq": int(i.seq), "prev_hash": i.prev_hash, "hash": i.hash, "event": i.event})
