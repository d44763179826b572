"""Histories in the audit table (keys: see tables.py).

Appending is one transaction: advance the head only from the seq we read, write the entry,
and write the receipt only if this event was never appended.
"""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..domain.chain import GENESIS, link
from .chains import head_shard
from .tables import ENTRY_PREFIX, EntryItem, HeadItem, ReceiptItem, entity_key, entry_key, receipt_key
from .tx import Tx, page, read


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


def append(entity_id: str, kind: str, org_id: str | None, event: dict[str, Any]) -> int:
    current = head(org_id, entity_id)
    seq = (current["seq"] if current else 0) + 1
    prev = current["hash"] if current else GENESIS
    digest = link(prev, seq, event)
    pk = entity_key(org_id, entity_id)
    (Tx().put(ReceiptItem(pk=pk, sk=receipt_key(event["id"]), seq=seq), condition=ReceiptItem.pk.does_not_exist(),
              on_fail=AlreadyAppended(event["id"]))
     .put(HeadItem(pk=pk, sk="HEAD", seq=seq, hash=digest, kind=kind, head_shard=head_shard(pk)),
          condition=(HeadItem.seq == seq - 1) if current else HeadItem.pk.does_not_exist(),
          on_fail=HeadMoved(entity_id))
     .put(EntryItem(pk=pk, sk=entry_key(seq), seq=seq, prev_hash=prev, hash=digest, event=event))
     .run())
    return seq


def entries(org_id: str | None, entity_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return page(EntryItem, entity_key(org_id, entity_id), ENTRY_PREFIX, limit, cursor, consistent=True,
                convert=lambda i: {"seq": int(i.seq), "prev_hash": i.prev_hash, "hash": i.hash, "event": i.event})
