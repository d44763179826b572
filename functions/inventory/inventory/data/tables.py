"""PynamoDB models of the inventory table (single-table design, every key scoped to an organisation).

| item                        | pk                              | sk                         | gsi1pk / gsi1sk            |
|-----------------------------|---------------------------------|----------------------------|----------------------------|
| campaign                    | ORG#<org>                       | CAMPAIGN#<id>              |                            |
| cycle policy                | ORG#<org>                       | CYCLE#<repository>         | CYCLE_DUE / <due>#<org>#<repo> (while no campaign is open) |
| session                     | ORG#<org>#CAMP#<id>             | SESSION#<id>               |                            |
| partner session binding     | SESSION#<id>                    | PARTNER                    |                            |
| finding (+ follow-up task)  | ORG#<org>#CAMP#<id>             | FINDING#<id>               |                            |
| counters of a run and range | ORG#<org>#CAMP#<id>             | COUNT#<run>#<range>        |                            |
| scan batch (one shelf post) | ORG#<org>#CAMP#<id>#SCANS       | <shelf>#<batch>            |                            |
| barcode seen                | ORG#<org>#CAMP#<id>#SEEN        | <barcode>                  |                            |
| result of a box / barcode   | ORG#<org>#CAMP#<id>#R<run>      | <result>#<shelf>#<box or barcode> |                     |
| counted-page receipt        | ORG#<org>#CAMP#<id>#R<run>#PAGES| <part>#<page>              |                            |
| holding (box read model)    | ORG#<org>#BOX#<box id>          | HOLDING                    | ORG#<org>#HOLD#<range> / <shelf>#<box id> (while it has a home) |
| barcode → box               | ORG#<org>#BARCODE#<barcode>     | BOX                        |                            |
| repository (from stacks)    | ORG#<org>#REPO#<repo>           | REPOSITORY                 |                            |
| range seen in a repository  | ORG#<org>#REPO#<repo>           | RANGE#<range>              |                            |
| outbox event                | OUTBOX#<event id>               | EVENT                      |                            |
| idempotency record          | IDEMPOTENCY#<function>          | <key hash>                 |                            |

The holdings index makes "boxes in range R" (its partition) and "boxes whose home is shelf X"
(`begins_with <shelf>#` in its range's partition) queries, never scans; a count pages through
each range's partition, ranges in parallel. One partition per range (not per repository) keeps
index partitions small and lets parallel pages of different ranges hit different partitions.

Campaigns, cycle policies, sessions, findings and holdings get their attributes from the domain
entities (shared.mapping). The table name is read at each use (`TABLE_NAME`, default `inventory`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED
from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain.model import Campaign, CyclePolicy, Finding, Holding, Session, range_of

TABLE = Table("inventory")
CYCLE_DUE = "CYCLE_DUE"


# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
campaign_sort_key = Key("CAMPAIGN#{campaign_id}")
cycle_key = Key("CYCLE#{repository_id}")
campaign_key = Key("ORG#{org_id}#CAMP#{campaign_id}")
session_key = Key("SESSION#{session_id}")
finding_key = Key("FINDING#{finding_id}")
scans_key = Key("ORG#{org_id}#CAMP#{campaign_id}#SCANS")
seen_key = Key("ORG#{org_id}#CAMP#{campaign_id}#SEEN")
results_key = Key("ORG#{org_id}#CAMP#{campaign_id}#R{run}")
receipts_key = Key("ORG#{org_id}#CAMP#{campaign_id}#R{run}#PAGES")
holding_key = Key("ORG#{org_id}#BOX#{box_id}")
holdings_index_key = Key("ORG#{org_id}#HOLD#{range_id}")
# One label namespace regardless of case: `seca-001` is `SECA-001` (as location codes and RFID tags are).
barcode_key = Key("ORG#{org_id}#BARCODE#{barcode}", upper=("barcode",))
ranges_key = Key("ORG#{org_id}#REPO#{repository_id}")


# ----------------------------------------------------------------- item types
class HoldingItem(TABLE.Item, entity=Holding, fields={"extra": OMITTED}):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, h: Holding) -> dict[str, Any]:
        keys = {"pk": holding_key(h.org_id, h.box_id), "sk": "HOLDING"}
        if h.home_id:  # listed in its range's partition while it has a home
            keys |= {"gsi1pk": holdings_index_key(h.org_id, range_of(h.home_id)), "gsi1sk": f"{h.home_id}#{h.box_id}"}
        return keys


class BarcodeItem(TABLE.Item):
    box_id = UnicodeAttribute()
    home_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()


class RangeItem(TABLE.Item):
    range_id = UnicodeAttribute()


class RepositoryItem(TABLE.Item):
    """A repository stacks said exists (RepositoryCreated / RepositoryUpdated): campaigns and cycles need one."""

    repository_id = UnicodeAttribute(null=True)  # null: the range items of the same partition read as these


class CampaignItem(TABLE.Item, entity=Campaign):
    @classmethod
    def derived(cls, c: Campaign) -> dict[str, Any]:
        return {"pk": org_key(c.org_id), "sk": campaign_sort_key(c.id)}


class CycleItem(TABLE.Item, entity=CyclePolicy):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, c: CyclePolicy) -> dict[str, Any]:
        keys = {"pk": org_key(c.org_id), "sk": cycle_key(c.repository_id)}
        if c.open_campaign_id is None:  # only cycles waiting for their next campaign are in the due index
            keys |= {"gsi1pk": CYCLE_DUE, "gsi1sk": f"{c.next_due_on}#{c.org_id}#{c.repository_id}"}
        return keys


class SessionItem(TABLE.Item, entity=Session, fields={"org_id": OMITTED, "campaign_id": OMITTED}):
    @classmethod
    def derived(cls, s: Session) -> dict[str, Any]:
        return {"pk": campaign_key(s.org_id, s.campaign_id), "sk": session_key(s.id)}


class SessionBindingItem(TABLE.Item):
    """A session a partner scanner posts to: found by the session id alone, then the API key is checked."""

    org_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    partner_client_id = UnicodeAttribute()


class FindingItem(TABLE.Item, entity=Finding, fields={"org_id": OMITTED, "campaign_id": OMITTED}):
    @classmethod
    def derived(cls, f: Finding) -> dict[str, Any]:
        return {"pk": campaign_key(f.org_id, f.campaign_id), "sk": finding_key(f.id)}


class CounterItem(TABLE.Item):
    """Results of one run in one range: attributes named after the results, added to per page."""

    range_id = UnicodeAttribute()
    ok = NumberAttribute(null=True)
    misplaced = NumberAttribute(null=True)
    missing = NumberAttribute(null=True)
    unexpected = NumberAttribute(null=True)
    checked_out = NumberAttribute(null=True)


class ScanBatchItem(TABLE.Item):
    session_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    batch = NumberAttribute()
    barcodes = ListAttribute(of=UnicodeAttribute)
    at = UnicodeAttribute()
    by = UnicodeAttribute()


class SeenItem(TABLE.Item):
    location_id = UnicodeAttribute()
    session_id = UnicodeAttribute()


class ResultItem(TABLE.Item):
    result = UnicodeAttribute()
    box_id = UnicodeAttribute(null=True)
    barcode = UnicodeAttribute()
    expected_at = UnicodeAttribute(null=True)
    found_at = UnicodeAttribute(null=True)
    box_status = UnicodeAttribute(null=True)


class ReceiptItem(TABLE.Item):
    counts = JSONAttribute()


OutboxItem = outbox_model(TABLE.Item)
