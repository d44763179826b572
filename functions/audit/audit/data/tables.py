"""PynamoDB models of the audit table.

| item     | pk                   | sk                 |
|----------|----------------------|--------------------|
| head     | ENTITY#<org>#<id>    | HEAD               | seq, hash, kind, head_shard (sparse index `heads`, chains.py)
| entry    | ENTITY#<org>#<id>    | SEQ#<000000000001> | seq, event, prev_hash, hash
| receipt  | ENTITY#<org>#<id>    | EVENT#<event id>   | seq (dedupe: SQS delivers at least once)
Histories are per organisation: two organisations' entities with the same id never
share a chain, and a caller can only name chains of its own organisation.
The table name is read at each use (`TABLE_NAME`, default `audit`).
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.storage import Key, Table

TABLE = Table("audit")
ENTRY_PREFIX = "SEQ#"


def entity_key(org_id: str | None, entity_id: str) -> str:
    return f"ENTITY#{org_id or '-'}#{entity_id}"


entry_key = Key(ENTRY_PREFIX + "{seq:012d}")
receipt_key = Key("EVENT#{event_id}")


class HeadItem(TABLE.Item):
    seq = NumberAttribute()
    hash = UnicodeAttribute()
    kind = UnicodeAttribute(null=True)
    head_shard = UnicodeAttribute(null=True)  # only heads carry it: the `heads` index holds one item per chain


class EntryItem(TABLE.Item):
    seq = NumberAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()
    event = JSONAttribute()


class ReceiptItem(TABLE.Item):
    seq = NumberAttribute()
