"""PynamoDB models of the classification table (single-table design, every key scoped to an organisation).

| item                        | pk                          | sk                    |
|-----------------------------|-----------------------------|-----------------------|
| scheme head                 | ORG#<org>                   | SCHEME                |
| scheme version              | ORG#<org>                   | VERSION#<000042>      |
| node of a node set          | ORG#<org>#SET#<set id>      | NODE#<code>           |
| publishing receipt (chunk)  | ORG#<org>#SET#<set id>      | PUBLISHED#<0007>      |
| outbox event                | OUTBOX#<event id>           | EVENT                 |
| idempotency record          | IDEMPOTENCY#<function>      | <key hash>            |

A version's nodes live in a node set of their own (the version names it): one partition per
version, read in code order by a key-prefix query. An import writes a whole new set beside the
old one and then switches the version to it in one conditional write, so a reader sees the old
draft or the new one, never a mixture. Versions sort by their zero-padded number (newest first
is a backwards query). The table name is read at each use (`TABLE_NAME`, default `classification`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED
from shared.outbox import outbox_model
from shared.storage import Key, Table

from ..domain.model import Node, Scheme, SchemeVersion

TABLE = Table("classification")
SCHEME = "SCHEME"

# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
version_key = Key("VERSION#{number:06d}")
VERSION_PREFIX = "VERSION#"
set_key = Key("ORG#{org_id}#SET#{set_id}")
node_key = Key("NODE#{code}")
NODE_PREFIX = "NODE#"
receipt_key = Key("PUBLISHED#{chunk:04d}")
RECEIPT_PREFIX = "PUBLISHED#"


# ----------------------------------------------------------------- item types
class SchemeItem(TABLE.Item, entity=Scheme):
    @classmethod
    def derived(cls, s: Scheme) -> dict[str, Any]:
        return {"pk": org_key(s.org_id), "sk": SCHEME}


class VersionItem(TABLE.Item, entity=SchemeVersion):
    @classmethod
    def derived(cls, v: SchemeVersion) -> dict[str, Any]:
        return {"pk": org_key(v.org_id), "sk": version_key(v.number)}


class NodeItem(TABLE.Item, entity=Node, fields={"org_id": OMITTED, "set_id": OMITTED}):
    @classmethod
    def derived(cls, n: Node) -> dict[str, Any]:
        return {"pk": set_key(n.org_id, n.set_id), "sk": node_key(n.code)}


class ReceiptItem(TABLE.Item):
    """One chunk of a version's UnitTaskPublished events was staged (with them, in one transaction)."""

    events = NumberAttribute()
    at = UnicodeAttribute()


OutboxItem = outbox_model(TABLE.Item)
