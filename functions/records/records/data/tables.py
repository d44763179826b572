"""PynamoDB models of the records table (single-table design, every key scoped to an organisation).

| item                          | pk                              | sk              | gsi1pk / gsi1sk, gsi2pk / gsi2sk |
|-------------------------------|---------------------------------|-----------------|----------------------------------|
| file (기록물철)                | ORG#<org>                       | FILE#<id>       | ACCESS_REVIEW / <review_on>#<org>#<id> (not open, no open review); ACCESS_OPENS / <opens_on>#<org>#<id> (not open, closed) |
| file reference (unique)       | ORG#<org>#FILEREF#<reference>   | FILE            |                                  |
| item (기록물건)                | ORG#<org>#FILE#<file>           | ITEM#<id>       |                                  |
| registration number (unique)  | ORG#<org>#REGNO#<number>        | ITEM            |                                  |
| box a file is in (read model) | ORG#<org>#FILE#<file>           | BOX#<box>       |                                  |
| box (read model)              | ORG#<org>#BOX#<box>             | BOX             |                                  |
| access review task            | ORG#<org>                       | REVIEW#<id>     | ORG#<org>#REVIEWS#<status> / <due_on>#<id> |
| unit task (read model)        | ORG#<org>#SCHEME#<version:06d>  | TASK#<code>     |                                  |
| scheme version (read model)   | ORG#<org>#SCHEME#<version:06d>  | VERSION         |                                  |
| current scheme version        | ORG#<org>                       | SCHEME          |                                  |
| consumed event (receipt)      | RECEIPT#<event id>              | EVENT           |                                  |
| outbox event                  | OUTBOX#<event id>               | EVENT           |                                  |
| idempotency record            | IDEMPOTENCY#<function>          | <key hash>      |                                  |

A file's partition (ORG#<org>#FILE#<file>) holds what belongs to it: items, the boxes it is in
(and the digital components the components area adds), so "the file and everything in it" is one
query. The access indexes are sparse: a file is listed in ACCESS_REVIEW while it waits for its
next re-review, and in ACCESS_OPENS while the 30-year rule has yet to open it, so the daily jobs
query what is due (a key range), never scan.

Entities get their attributes from the domain (shared.mapping). The table name is read at each
use (`TABLE_NAME`, default `records`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED, Json
from shared.outbox import outbox_model
from shared.storage import Gsi1, Gsi2, Key, Table

from ..domain import access as access_rules
from ..domain import lifecycle
from ..domain.model import AccessReview, Box, FileBox, Item, RecordFile, UnitTask

TABLE = Table("records")
ACCESS_REVIEW = "ACCESS_REVIEW"
ACCESS_OPENS = "ACCESS_OPENS"


# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
file_sort_key = Key("FILE#{file_id}")
file_key = Key("ORG#{org_id}#FILE#{file_id}")
reference_key = Key("ORG#{org_id}#FILEREF#{reference}")
item_sort_key = Key("ITEM#{item_id}")
regno_key = Key("ORG#{org_id}#REGNO#{number}")
box_key = Key("ORG#{org_id}#BOX#{box_id}")
box_sort_key = Key("BOX#{box_id}")
review_sort_key = Key("REVIEW#{review_id}")
reviews_index_key = Key("ORG#{org_id}#REVIEWS#{status}")
version_key = Key("ORG#{org_id}#SCHEME#{version:06d}")
task_sort_key = Key("TASK#{code}")
receipt_key = Key("RECEIPT#{event_id}")


# ----------------------------------------------------------------- item types
class FileItem(TABLE.Item, entity=RecordFile, fields={"rule": Json(), "access": Json()}):
    gsi1 = Gsi1()
    gsi2 = Gsi2()

    @classmethod
    def derived(cls, f: RecordFile) -> dict[str, Any]:
        keys: dict[str, Any] = {"pk": org_key(f.org_id), "sk": file_sort_key(f.id)}
        live = lifecycle.editable(f.status)  # not final, not reserved by a saga (re-indexed when it comes back)
        if live and not f.access.is_open and f.access.review_on and f.review_task_id is None:
            keys |= {"gsi1pk": ACCESS_REVIEW, "gsi1sk": f"{f.access.review_on}#{f.org_id}#{f.id}"}
        opens = access_rules.opens_on(f.access, f.production_year)
        if live and opens:
            keys |= {"gsi2pk": ACCESS_OPENS, "gsi2sk": f"{opens}#{f.org_id}#{f.id}"}
        return keys


class FileReferenceItem(TABLE.Item):
    file_id = UnicodeAttribute()


class ItemItem(TABLE.Item, entity=Item, fields={"org_id": OMITTED, "file_id": OMITTED, "access": Json()}):
    @classmethod
    def derived(cls, i: Item) -> dict[str, Any]:
        return {"pk": file_key(i.org_id, i.file_id), "sk": item_sort_key(i.id)}


class RegistrationItem(TABLE.Item):
    file_id = UnicodeAttribute()
    item_id = UnicodeAttribute()


class FileBoxItem(TABLE.Item, entity=FileBox, fields={"org_id": OMITTED, "file_id": OMITTED}):
    @classmethod
    def derived(cls, b: FileBox) -> dict[str, Any]:
        return {"pk": file_key(b.org_id, b.file_id), "sk": box_sort_key(b.box_id)}


class BoxItem(TABLE.Item, entity=Box):
    @classmethod
    def derived(cls, b: Box) -> dict[str, Any]:
        return {"pk": box_key(b.org_id, b.box_id), "sk": "BOX"}


class ReviewItem(TABLE.Item, entity=AccessReview):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, r: AccessReview) -> dict[str, Any]:
        return {"pk": org_key(r.org_id), "sk": review_sort_key(r.id),
                "gsi1pk": reviews_index_key(r.org_id, r.status), "gsi1sk": f"{r.due_on}#{r.id}"}


class UnitTaskItem(TABLE.Item, entity=UnitTask, fields={"rule": Json(), "path": Json()}):
    path = JSONAttribute(null=True)  # an empty path (a unit task at the top) is stored as nothing
    @classmethod
    def derived(cls, t: UnitTask) -> dict[str, Any]:
        return {"pk": version_key(t.org_id, t.scheme_version), "sk": task_sort_key(t.code)}


class VersionItem(TABLE.Item):
    """A scheme version as far as records has heard of it: the count its publication announced
    (`expected`, once SchemeVersionPublished arrived) and the unit tasks received; usable when equal."""

    expected = NumberAttribute(null=True)
    received = NumberAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    usable = NumberAttribute(null=True)


class CurrentSchemeItem(TABLE.Item):
    version = NumberAttribute()


class ReceiptItem(TABLE.Item):
    type = UnicodeAttribute()
    expiration = NumberAttribute()


OutboxItem = outbox_model(TABLE.Item)
