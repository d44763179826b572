"""PynamoDB models of the circulation table (single-table design, keys scoped to an organisation).

| item                      | pk                               | sk                         | gsi1pk / gsi1sk                  | gsi2pk / gsi2sk (sparse)              |
|---------------------------|----------------------------------|----------------------------|----------------------------------|---------------------------------------|
| request                   | ORG#<org>                        | REQ#<id>                   | ORG#<org>#REQS / <created>#<id>  | OPEN / <due>#<org>#<id> while checked out; SAGA / <updated>#<org>#<id> while a saga runs |
| box facts (read model)    | ORG#<org>                        | BOX#<box>                  |                                  |                                       |
| box holder / queue place  | ORG#<org>#BOX#<box>              | ACTIVE#<req> / READY#<req> / QUEUE#<at>#<req> |                             |                                       |
| register entry            | ORG#<org>#REG (+ #BOX#<box>, #PERSON#<user> copies) | <at>#<loan>#<action> |                     |                                       |
| overdue notice            | ORG#<org>#REQ#<id>               | OVERDUE#<yyyy-mm-dd>       |                                  |                                       |
| policy                    | ORG#<org>                        | POLICY                     |                                  |                                       |
| outbox event              | OUTBOX#<event id>                | EVENT                      |                                  |                                       |
| idempotency record        | IDEMPOTENCY#<function>           | <key hash>                 |                                  |                                       |

A box's holder and queue live in the box's own partition and change in the same transaction
as the request, so "who holds it, who waits" is one strongly consistent query. The register
is written three times (organisation, box, person) so each filter is a key range, not a scan.

Requests and box facts get their attributes from the domain entities (shared.mapping). The
table name is read at each use (`TABLE_NAME`, default `circulation`).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.mapping import Json
from shared.outbox import outbox_model
from shared.storage import Gsi1, Gsi2, Key, Table

from ..domain.model import BoxFacts, Request
from ..domain.queue import Waiting

TABLE = Table("circulation")
OPEN = "OPEN"  # gsi2pk of checked-out requests (the overdue job's range)
SAGA = "SAGA"  # gsi2pk of requests a saga is moving (the reconcile job's range)


# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
request_key = Key("REQ#{request_id}")
requests_index_key = Key("ORG#{org_id}#REQS")
box_facts_key = Key("BOX#{box_id}")
box_partition = Key("ORG#{org_id}#BOX#{box_id}")
active_key = Key("ACTIVE#{request_id}")
ready_key = Key("READY#{request_id}")
queue_key = Key("QUEUE#{queued_at}#{request_id}")


def parse_queue_key(sort_key: str) -> Waiting:
    _, queued_at, request_id = sort_key.split("#", 2)
    return Waiting(queued_at, request_id)


open_index_key = Key("{due}#{org_id}#{request_id}")


def due_cutoff(today: date) -> str:
    """Open-index keys strictly below this are due before today (a loan due today is not late yet)."""
    return today.isoformat()


def register_partition(org_id: str, box_id: str | None = None, person: str | None = None) -> str:
    if box_id is not None:
        return f"ORG#{org_id}#REG#BOX#{box_id}"
    if person is not None:
        return f"ORG#{org_id}#REG#PERSON#{person}"
    return f"ORG#{org_id}#REG"


notice_partition = Key("ORG#{org_id}#REQ#{request_id}")


def notice_key(today: date) -> str:
    return f"OVERDUE#{today.isoformat()}"


# ----------------------------------------------------------------- item types
class RequestItem(TABLE.Item, entity=Request, fields={"requester": Json(), "approver": Json()}):
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    requester_id = UnicodeAttribute()  # a copy, for the listing's filter

    @classmethod
    def derived(cls, r: Request) -> dict[str, Any]:
        keys = {"pk": org_key(r.org_id), "sk": request_key(r.id), "gsi1pk": requests_index_key(r.org_id),
                "gsi1sk": f"{r.created_at}#{r.id}", "requester_id": r.requester.user_id}
        if r.status == "checked_out":
            keys |= {"gsi2pk": OPEN, "gsi2sk": open_index_key(r.due, r.org_id, r.id)}
        elif r.status in ("checking_out", "returning"):
            keys |= {"gsi2pk": SAGA, "gsi2sk": f"{r.updated_at}#{r.org_id}#{r.id}"}
        return keys


class BoxFactsItem(TABLE.Item, entity=BoxFacts):
    @classmethod
    def derived(cls, facts: BoxFacts) -> dict[str, Any]:
        return {"pk": org_key(facts.org_id), "sk": box_facts_key(facts.box_id)}


class SlotItem(TABLE.Item):
    """A request holding a box (ACTIVE#) or waiting for it (QUEUE#)."""

    request_id = UnicodeAttribute()
    at = UnicodeAttribute()


class RegisterItem(TABLE.Item):
    entry = JSONAttribute()  # a RegisterEntry (shared.mapping.encode)


class NoticeItem(TABLE.Item):
    at = UnicodeAttribute()
    expiration = NumberAttribute(null=True)


class PolicyItem(TABLE.Item):
    document = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


OutboxItem = outbox_model(TABLE.Item)
