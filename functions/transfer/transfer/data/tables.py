"""PynamoDB models of the transfer table (single-table design, every key scoped to an organisation).

| item                                  | pk                               | sk                    | gsi1pk / gsi1sk |
|---------------------------------------|----------------------------------|-----------------------|-----------------|
| file (read model of records)          | ORG#<org>                        | FILE#<id>             | TRANSFER_DUE / <due>#<org>#<id> (due for a transfer) |
| hold (read model of disposal)         | ORG#<org>                        | HOLD#<id>             |                 |
| claim: the file is in a transfer      | ORG#<org>                        | CLAIM#<file>          |                 |
| organisation (read model of identity) | ORGANISATION                     | ORG#<id>              |                 |
| transfer (sender's and receiver's; an export is a transfer of kind `export`, one copy) | ORG#<org> | TRANSFER#<id> | TRANSFER_SAGAS / <updated>#<sender>#<id> (the sender's copy, while packaging or accepting) |
| file of a transfer, its inspection    | ORG#<sender>#TRANSFER#<id>       | FILE#<file>           |                 |
| page of a transfer (≤ 25 files)       | ORG#<sender>#TRANSFER#<id>       | PAGE#<nnnnn>          |                 |
| bag entries of a page (≤ 500 each)    | ORG#<sender>#TRANSFER#<id>#BAG   | <nnnnn>#<source>#<nnn> |                |
| due list pointer (the latest day)     | ORG#<org>                        | DUE                   |                 |
| due list entry                        | ORG#<org>#DUE#<day>              | <kind>#<file>         |                 |
| consumed event (receipt)              | RECEIPT#<event id>               | EVENT                 |                 |
| outbox event                          | OUTBOX#<event id>                | EVENT                 |                 |
| idempotency record                    | IDEMPOTENCY#<function>           | <key hash>            |                 |

A transfer's files, pages and bag entries live in the sender's partition of that transfer; the receiver
reaches them through its own copy of the transfer (which names the sender), so another organisation, with
no copy, finds nothing. The due index is sparse (a file is in it only while rules.due says it is due for
something): the daily job reads a key range of what is due, never scans. The sagas' index is sparse too (a
transfer is in it only while a saga should be moving it): the reconcile job reads the range not changed since
its cutoff, never every transfer ever made. The table name is read at each
use (`TABLE_NAME`, default `transfer`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED, Json
from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain import rules
from ..domain.model import SAGA_STATUSES, DueEntry, FileView, HoldView, Organisation, Page, Transfer, TransferFile

TABLE = Table("transfer")
TRANSFER_DUE = "TRANSFER_DUE"
TRANSFER_SAGAS = "TRANSFER_SAGAS"
ORGANISATIONS = "ORGANISATION"

org_key = Key("ORG#{org_id}")
file_sort_key = Key("FILE#{file_id}")
hold_sort_key = Key("HOLD#{hold_id}")
claim_sort_key = Key("CLAIM#{file_id}")
organisation_sort_key = Key("ORG#{org_id}")
transfer_sort_key = Key("TRANSFER#{transfer_id}")
transfer_key = Key("ORG#{org_id}#TRANSFER#{transfer_id}")
page_sort_key = Key("PAGE#{page:05d}")
bag_key = Key("ORG#{org_id}#TRANSFER#{transfer_id}#BAG")
bag_sort_key = Key("{page:05d}#{source}#{chunk:03d}")
DUE_POINTER = "DUE"
due_key = Key("ORG#{org_id}#DUE#{as_of}")
due_sort_key = Key("{kind}#{file_id}")
receipt_key = Key("RECEIPT#{event_id}")


class FileViewItem(TABLE.Item, entity=FileView):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, f: FileView) -> dict[str, Any]:
        keys: dict[str, Any] = {"pk": org_key(f.org_id), "sk": file_sort_key(f.id)}
        due = rules.due(f)
        if due:
            keys |= {"gsi1pk": TRANSFER_DUE, "gsi1sk": f"{due[1]}#{f.org_id}#{f.id}"}
        return keys


class HoldViewItem(TABLE.Item, entity=HoldView):
    @classmethod
    def derived(cls, h: HoldView) -> dict[str, Any]:
        return {"pk": org_key(h.org_id), "sk": hold_sort_key(h.id)}


class OrganisationItem(TABLE.Item, entity=Organisation):
    @classmethod
    def derived(cls, o: Organisation) -> dict[str, Any]:
        return {"pk": ORGANISATIONS, "sk": organisation_sort_key(o.id)}


class ClaimItem(TABLE.Item):
    transfer_id = UnicodeAttribute()


class TransferItem(TABLE.Item, entity=Transfer, fields={"error": Json()}):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, t: Transfer) -> dict[str, Any]:
        keys: dict[str, Any] = {"pk": org_key(t.org_id), "sk": transfer_sort_key(t.id)}
        if t.status in SAGA_STATUSES and t.role == "sender":  # one entry per transfer
            keys |= {"gsi1pk": TRANSFER_SAGAS, "gsi1sk": f"{t.updated_at}#{t.org_id}#{t.id}"}
        return keys


class TransferFileItem(TABLE.Item, entity=TransferFile,
                       fields={"sender_org": OMITTED, "transfer_id": OMITTED, "inspection": Json()}):
    @classmethod
    def derived(cls, f: TransferFile) -> dict[str, Any]:
        return {"pk": transfer_key(f.sender_org, f.transfer_id), "sk": file_sort_key(f.file_id)}


class PageItem(TABLE.Item, entity=Page, fields={"sender_org": OMITTED, "transfer_id": OMITTED, "boxes": Json()}):
    @classmethod
    def derived(cls, p: Page) -> dict[str, Any]:
        return {"pk": transfer_key(p.sender_org, p.transfer_id), "sk": page_sort_key(page=p.page)}


class BagEntriesItem(TABLE.Item):
    """Up to 500 payload entries of one page from one source (records' package, audit's history), as
    [[path, sha256, size], ...]: the manifest is streamed from these, page by page."""

    entries = UnicodeAttribute()


class DueEntryItem(TABLE.Item, entity=DueEntry, fields={"org_id": OMITTED, "as_of": OMITTED}):
    expiration = NumberAttribute(null=True)

    @classmethod
    def derived(cls, d: DueEntry) -> dict[str, Any]:
        return {"pk": due_key(d.org_id, d.as_of), "sk": due_sort_key(d.kind, d.file_id)}


class DuePointerItem(TABLE.Item):
    as_of = UnicodeAttribute()


class ReceiptItem(TABLE.Item):
    type = UnicodeAttribute()
    expiration = NumberAttribute()


OutboxItem = outbox_model(TABLE.Item)
