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
| range seen in a repository  | ORG#<org>#REPO#<repo>           | RANGE#<range>              |                            |
| outbox event                | OUTBOX#<event id>               | EVENT                      |                            |
| idempotency record          | IDEMPOTENCY#<function>          | <key hash>                 |                            |

The holdings index makes "boxes in range R" (its partition) and "boxes whose home is shelf X"
(`begins_with <shelf>#` in its range's partition) queries, never scans; a count pages through
each range's partition, ranges in parallel. One partition per range (not per repository) keeps
index partitions small and lets parallel pages of different ranges hit different partitions.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from shared.outbox import outbox_model
from shared.storage import Gsi1, OneTable, table_meta

DEFAULT_TABLE = "inventory"
CYCLE_DUE = "CYCLE_DUE"
_Meta = table_meta(DEFAULT_TABLE)  # the table is TABLE_NAME at each use, else "inventory"


class _Item(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class HoldingItem(_Item):
    class Meta(_Meta):
        pass

    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute()
    box_id = UnicodeAttribute()
    barcode = UnicodeAttribute()
    status = UnicodeAttribute()
    home_id = UnicodeAttribute(null=True)
    version = NumberAttribute()


class BarcodeItem(_Item):
    class Meta(_Meta):
        pass

    box_id = UnicodeAttribute()
    home_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()


class RangeItem(_Item):
    class Meta(_Meta):
        pass

    range_id = UnicodeAttribute()


class CampaignItem(_Item):
    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    ranges = ListAttribute(of=UnicodeAttribute, null=True)
    status = UnicodeAttribute()
    due_by = UnicodeAttribute(null=True)
    cycle_id = UnicodeAttribute(null=True)
    run = NumberAttribute()
    findings = NumberAttribute()
    undecided_findings = NumberAttribute()
    last_error = UnicodeAttribute(null=True)
    counted_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    version = NumberAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CycleItem(_Item):
    class Meta(_Meta):
        pass

    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    cycle_years = NumberAttribute()
    last_counted_on = UnicodeAttribute(null=True)
    next_due_on = UnicodeAttribute()
    open_campaign_id = UnicodeAttribute(null=True)
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class SessionItem(_Item):
    class Meta(_Meta):
        pass

    id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    api_key_id = UnicodeAttribute(null=True)
    opened_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class SessionBindingItem(_Item):
    """A session a partner scanner posts to: found by the session id alone, then the API key is checked."""

    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    api_key_id = UnicodeAttribute()


class FindingItem(_Item):
    class Meta(_Meta):
        pass

    id = UnicodeAttribute()
    box_id = UnicodeAttribute(null=True)
    barcode = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)
    conditions = ListAttribute(of=UnicodeAttribute)
    note = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    task_status = UnicodeAttribute()
    decision = UnicodeAttribute(null=True)
    decision_note = UnicodeAttribute(null=True)
    version = NumberAttribute()
    recorded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CounterItem(_Item):
    """Results of one run in one range: attributes named after the results, added to per page."""

    class Meta(_Meta):
        pass

    range_id = UnicodeAttribute()
    ok = NumberAttribute(null=True)
    misplaced = NumberAttribute(null=True)
    missing = NumberAttribute(null=True)
    unexpected = NumberAttribute(null=True)
    checked_out = NumberAttribute(null=True)


class ScanBatchItem(_Item):
    class Meta(_Meta):
        pass

    session_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    batch = NumberAttribute()
    barcodes = ListAttribute(of=UnicodeAttribute)
    at = UnicodeAttribute()
    by = UnicodeAttribute()


class SeenItem(_Item):
    class Meta(_Meta):
        pass

    location_id = UnicodeAttribute()
    session_id = UnicodeAttribute()


class ResultItem(_Item):
    class Meta(_Meta):
        pass

    result = UnicodeAttribute()
    box_id = UnicodeAttribute(null=True)
    barcode = UnicodeAttribute()
    expected_at = UnicodeAttribute(null=True)
    found_at = UnicodeAttribute(null=True)
    box_status = UnicodeAttribute(null=True)


class ReceiptItem(_Item):
    class Meta(_Meta):
        pass

    counts = JSONAttribute()


class OutboxItem(outbox_model(DEFAULT_TABLE)):
    class Meta(_Meta):
        pass


# HoldingItem first: the shared client keeps the first model's view of the table, which must include gsi1.
MODELS: tuple[type[Model], ...] = (HoldingItem, CycleItem, BarcodeItem, RangeItem, CampaignItem, SessionItem,
                                   FindingItem, CounterItem, ScanBatchItem, SessionBindingItem, SeenItem, ResultItem, ReceiptItem,
                                   OutboxItem)
connection = OneTable(DEFAULT_TABLE, MODELS)  # one botocore client for every item type and the transactions


connection()


# ------------------------------------------------------------------------ keys
def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


def campaign_key(org_id: str, campaign_id: str) -> str:
    return f"ORG#{org_id}#CAMP#{campaign_id}"


def scans_key(org_id: str, campaign_id: str) -> str:
    return f"{campaign_key(org_id, campaign_id)}#SCANS"


def seen_key(org_id: str, campaign_id: str) -> str:
    return f"{campaign_key(org_id, campaign_id)}#SEEN"


def results_key(org_id: str, campaign_id: str, run: int) -> str:
    return f"{campaign_key(org_id, campaign_id)}#R{run}"


def receipts_key(org_id: str, campaign_id: str, run: int) -> str:
    return f"{results_key(org_id, campaign_id, run)}#PAGES"


def holding_key(org_id: str, box_id: str) -> str:
    return f"ORG#{org_id}#BOX#{box_id}"


def holdings_index_key(org_id: str, range_id: str) -> str:
    return f"ORG#{org_id}#HOLD#{range_id}"


def barcode_key(org_id: str, barcode: str) -> str:
    return f"ORG#{org_id}#BARCODE#{barcode}"


def ranges_key(org_id: str, repository_id: str) -> str:
    return f"ORG#{org_id}#REPO#{repository_id}"
