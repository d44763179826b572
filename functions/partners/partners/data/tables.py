"""PynamoDB models of the partners table (single-table design, every listing scoped to an organisation).

| item                          | pk                          | sk                | gsi1pk / gsi1sk                          |
|-------------------------------|-----------------------------|-------------------|------------------------------------------|
| partner client                | ORG#<org>                   | CLIENT#<client>   |                                          |
| API key (hash only)           | KEY#<key id>                | KEY               | ORG#<org>#CLIENT#<client>#KEYS / <created_at>#<key id> |
| quota counter (one a window)  | QUOTA#<client>#<window>#<start> | COUNT         |                                          |
| feed head (last number)       | ORG#<org>#FEED              | HEAD              |                                          |
| feed entry                    | ORG#<org>#FEED              | SEQ#<000000000123>|                                          |
| feed claim of an event        | ORG#<org>#FEED#EVENT#<event id> | CLAIM         |                                          |
| outbox event                  | OUTBOX#<event id>           | EVENT             |                                          |
| idempotency record            | IDEMPOTENCY#<function>      | <key hash>        |                                          |

Feed entries (the event's envelope) and claims (one event, one entry) expire after 30 days.
Quota counters hold `n` (calls counted) and expire an hour after their window (TTL).
A key is found by its id alone (the authorizer knows nothing else, and reads it strongly
consistent, so a revocation is seen at once); its listing per client is the index.
Clients and keys get their attributes from the domain entities (shared.mapping). The table
name is read at each use (`TABLE_NAME`, default `partners`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED, Flat
from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain.deliveries import Attempt, Delivery
from ..domain.model import PartnerClient, PartnerKey
from ..domain.webhooks import Subscription

TABLE = Table("partners")

# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
client_key = Key("CLIENT#{client_id}")
api_key_key = Key("KEY#{key_id}")
client_keys_key = Key("ORG#{org_id}#CLIENT#{client_id}#KEYS")
quota_key = Key("QUOTA#{client_id}#{window}#{start}")
feed_key = Key("ORG#{org_id}#FEED")
claim_key = Key("ORG#{org_id}#FEED#EVENT#{event_id}")
FEED_HEAD = "HEAD"


def seq_key(seq: int) -> str:
    return f"SEQ#{seq:012d}"


# ----------------------------------------------------------------- item types
class ClientItem(TABLE.Item, entity=PartnerClient,
                 fields={"contact": Flat(names={"name": "contact_name", "email": "contact_email"})}):
    @classmethod
    def derived(cls, c: PartnerClient) -> dict[str, Any]:
        return {"pk": org_key(c.org_id), "sk": client_key(c.id)}


class KeyItem(TABLE.Item, entity=PartnerKey):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, k: PartnerKey) -> dict[str, Any]:
        return {"pk": api_key_key(k.id), "sk": "KEY", "gsi1pk": client_keys_key(k.org_id, k.client_id),
                "gsi1sk": f"{k.created_at}#{k.id}"}


class FeedHeadItem(TABLE.Item):
    seq = NumberAttribute()


class FeedEntryItem(TABLE.Item):
    seq = NumberAttribute()
    event_id = UnicodeAttribute()
    source = UnicodeAttribute()
    event_type = UnicodeAttribute()
    envelope = UnicodeAttribute()  # JSON, as published
    expiration = NumberAttribute()


class FeedClaimItem(TABLE.Item):
    seq = NumberAttribute()
    expiration = NumberAttribute()


class QuotaItem(TABLE.Item):
    n = NumberAttribute(null=True)
    expiration = NumberAttribute(null=True)


OutboxItem = outbox_model(TABLE.Item)


# ---- webhooks
# | item                 | pk                               | sk                          |
# |----------------------|----------------------------------|-----------------------------|
# | subscription         | ORG#<org>#WEBHOOKS               | SUB#<client>#<subscription> |
# | delivery             | ORG#<org>#SUB#<subscription>#DLV | <delivery id> (msg_…)       |
# | attempt (the log)    | ORG#<org>#SUB#<subscription>#ATT | <delivery id>#<00001>       |
# Fan-out reads an organisation's subscriptions in one query; a client's are a prefix of it.
# Delivery ids begin with the event's time (domain/deliveries.py), so a time range is a key range.
# Deliveries and attempts expire after DELIVERY_RETENTION_SECONDS (the log keeps 30 days).
webhooks_key = Key("ORG#{org_id}#WEBHOOKS")
subscription_key = Key("SUB#{client_id}#{subscription_id}")
deliveries_key = Key("ORG#{org_id}#SUB#{subscription_id}#DLV")
attempts_key = Key("ORG#{org_id}#SUB#{subscription_id}#ATT")
attempt_key = Key("{delivery_id}#{number:05d}")
# | pending delivery (gsi1) | WEBHOOKS#PENDING#<shard 0-7>     | <due, 11 digits>#<org>#<subscription>#<delivery> |
pending_key = Key("WEBHOOKS#PENDING#{shard}")
pending_sort_key = Key("{due:011d}#{org_id}#{subscription_id}#{delivery_id}")
PENDING_SHARDS = 8  # spreads the index's writes: every try of every delivery moves its entry
DELIVERY_RETENTION_SECONDS = 30 * 24 * 3600


def pending_shard(delivery_id: str) -> int:
    return sum(delivery_id.encode()) % PENDING_SHARDS


class SubscriptionItem(TABLE.Item, entity=Subscription):
    @classmethod
    def derived(cls, s: Subscription) -> dict[str, Any]:
        return {"pk": webhooks_key(s.org_id), "sk": subscription_key(s.client_id, s.id)}


class DeliveryItem(TABLE.Item, entity=Delivery, fields={"org_id": OMITTED, "subscription_id": OMITTED}):
    expiration = NumberAttribute(null=True)
    gsi1 = Gsi1()  # pending deliveries only (sparse), by when their next try is due: the stalled ones are found

    @classmethod
    def derived(cls, d: Delivery) -> dict[str, Any]:
        keys = {"pk": deliveries_key(d.org_id, d.subscription_id), "sk": d.id}
        if d.status == "pending":
            keys |= {"gsi1pk": pending_key(pending_shard(d.id)),
                     "gsi1sk": pending_sort_key(int(d.next_attempt_at or 0), d.org_id, d.subscription_id, d.id)}
        return keys


class AttemptItem(TABLE.Item, entity=Attempt, fields={"org_id": OMITTED, "subscription_id": OMITTED}):
    expiration = NumberAttribute(null=True)

    @classmethod
    def derived(cls, a: Attempt) -> dict[str, Any]:
        return {"pk": attempts_key(a.org_id, a.subscription_id), "sk": attempt_key(a.delivery_id, a.number)}
