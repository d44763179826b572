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

The table name is read when it is used (`TABLE_NAME`, default `circulation`), not when this
module is imported: several capabilities' code can share one test process.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from shared.outbox import outbox_model
from shared.storage import Gsi1, Gsi2, OneTable, table_meta

DEFAULT_TABLE = "circulation"
_Meta = table_meta(DEFAULT_TABLE)  # the table is TABLE_NAME at each use, else "circulation"
OPEN = "OPEN"  # gsi2pk of checked-out requests (the overdue job's range)
SAGA = "SAGA"  # gsi2pk of requests a saga is moving (the reconcile job's range)


class _Item(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class RequestItem(_Item):
    class Meta(_Meta):
        pass

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    box_id = UnicodeAttribute()
    requester_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    destination = JSONAttribute()
    period_from = UnicodeAttribute()
    period_until = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    declared_retention = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    requester = JSONAttribute()
    approver = JSONAttribute(null=True)
    decision = JSONAttribute(null=True)
    loan_id = UnicodeAttribute(null=True)
    attempt = NumberAttribute(default=0)
    checked_out_at = UnicodeAttribute(null=True)
    checked_out_by = UnicodeAttribute(null=True)
    return_started_at = UnicodeAttribute(null=True)
    returned_by = UnicodeAttribute(null=True)
    returned_at = UnicodeAttribute(null=True)
    condition = UnicodeAttribute(null=True)
    condition_note = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    ready_at = UnicodeAttribute(null=True)
    last_failure = UnicodeAttribute(null=True)
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class BoxFactsItem(_Item):
    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    box_id = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    loan_id = UnicodeAttribute(null=True)
    barcode = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    home_location_id = UnicodeAttribute(null=True)
    current_location = JSONAttribute(null=True)
    retention = UnicodeAttribute(null=True)
    version = NumberAttribute()
    occurred_at = UnicodeAttribute()
    event_id = UnicodeAttribute()


class SlotItem(_Item):
    """A request holding a box (ACTIVE#) or waiting for it (QUEUE#)."""

    class Meta(_Meta):
        pass

    request_id = UnicodeAttribute()
    at = UnicodeAttribute()


class RegisterItem(_Item):
    class Meta(_Meta):
        pass

    entry = JSONAttribute()


class NoticeItem(_Item):
    class Meta(_Meta):
        pass

    at = UnicodeAttribute()
    expiration = NumberAttribute(null=True)


class PolicyItem(_Item):
    class Meta(_Meta):
        pass

    document = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class OutboxItem(outbox_model(DEFAULT_TABLE)):
    class Meta(_Meta):
        pass


MODELS: tuple[type[Model], ...] = (RequestItem, BoxFactsItem, SlotItem, RegisterItem, NoticeItem, PolicyItem,
                                   OutboxItem)
connection = OneTable(DEFAULT_TABLE, MODELS)  # one botocore client for every item type and the transactions


# ------------------------------------------------------------------------ keys
def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


def request_key(request_id: str) -> str:
    return f"REQ#{request_id}"


def requests_index_key(org_id: str) -> str:
    return f"ORG#{org_id}#REQS"


def box_facts_key(box_id: str) -> str:
    return f"BOX#{box_id}"


def box_partition(org_id: str, box_id: str) -> str:
    return f"ORG#{org_id}#BOX#{box_id}"


def active_key(request_id: str) -> str:
    return f"ACTIVE#{request_id}"


def ready_key(request_id: str) -> str:
    return f"READY#{request_id}"


def register_partition(org_id: str, box_id: str | None = None, person: str | None = None) -> str:
    if box_id is not None:
        return f"ORG#{org_id}#REG#BOX#{box_id}"
    if person is not None:
        return f"ORG#{org_id}#REG#PERSON#{person}"
    return f"ORG#{org_id}#REG"


def notice_partition(org_id: str, request_id: str) -> str:
    return f"ORG#{org_id}#REQ#{request_id}"
