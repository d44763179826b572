"""PynamoDB models of the stacks table (single-table design, every key scoped to an organisation).

| item                         | pk                              | sk                          | gsi1pk / gsi1sk             |
|------------------------------|---------------------------------|-----------------------------|-----------------------------|
| repository                   | ORG#<org>                       | REPO#<R01>                  |                             |
| range / section / shelf      | ORG#<org>#REPO#<R01>            | RANGE#03 / SECTION#03#05 / SHELF#03#05#02 |               |
| location or container profile| ORG#<org>                       | LPROFILE#<id> / CPROFILE#<id> |                           |
| box                          | ORG#<org>                       | BOX#<id>                    | ORG#<org>#AT#<shelf> / BOX#<id> (while it has a home shelf) |
| barcode / RFID claim         | ORG#<org>#BARCODE#<code> / ORG#<org>#RFID#<tag> | CLAIM      |                             |
| location history entry       | ORG#<org>#BOX#<id> / ORG#<org>#LOC#<shelf> | HIST#<at>#<event id> |                     |
| saga step receipt            | ORG#<org>#BOX#<id>              | STEP#<loan id>#<step>       |                             |
| sensor                       | ORG#<org>                       | SENSOR#<id>                 |                             |
| sensor claim (partner lookup)| SENSOR#<id>                     | SENSOR                      |                             |
| environment reading          | ORG#<org>#ENV#<R01>#<yyyy-mm-dd> | <at>#<sensor id>           |                             |
| outbox event                 | OUTBOX#<event id>               | EVENT                       |                             |
| idempotency record           | IDEMPOTENCY#<function>          | <key hash>                  |                             |

A repository's whole tree lives in one partition, in shelf order, so an occupancy report
or a suggestion is one query. Barcodes are one namespace per organisation (a scanner
reading a label must know whether it is a box or a shelf). Sensor ids are global (device
serials): the partner route finds a sensor by id alone and then checks the API key.

The table name is read when it is used (`TABLE_NAME`, default `stacks`), not when this
module is imported: several capabilities' code can share one test process.
"""
from __future__ import annotations

from pynamodb.attributes import (JSONAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute)
from pynamodb.models import Model

from shared.outbox import outbox_model
from shared.storage import Gsi1, OneTable, table_meta

DEFAULT_TABLE = "stacks"
_Meta = table_meta(DEFAULT_TABLE)  # the table is TABLE_NAME at each use, else "stacks"


class _Item(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class RepositoryItem(_Item):
    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    barcode = UnicodeAttribute(null=True)
    environment_targets = JSONAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class LocationItem(_Item):
    """Ranges, sections and shelves (shelves also carry dimensions and counters)."""

    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    barcode = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    profile_id = UnicodeAttribute(null=True)
    width_mm = NumberAttribute(null=True)
    height_mm = NumberAttribute(null=True)
    depth_mm = NumberAttribute(null=True)
    load_limit_kg = NumberAttribute(null=True)
    used_um = NumberAttribute(null=True)
    used_g = NumberAttribute(null=True)
    box_count = NumberAttribute(null=True)
    holdings = MapAttribute(null=True)


class ProfileItem(_Item):
    """Location profiles (shelf dimensions) and container profiles (box dimensions)."""

    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    kind = UnicodeAttribute()  # location | container
    name = UnicodeAttribute()
    width_mm = NumberAttribute()
    height_mm = NumberAttribute()
    depth_mm = NumberAttribute()
    load_limit_kg = NumberAttribute(null=True)
    weight_kg = NumberAttribute(null=True)
    stacking_limit = NumberAttribute(null=True)
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class BoxItem(_Item):
    class Meta(_Meta):
        pass

    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    barcode = UnicodeAttribute()
    rfid = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    container_profile_id = UnicodeAttribute()
    width_mm = NumberAttribute()
    height_mm = NumberAttribute()
    depth_mm = NumberAttribute()
    weight_kg = NumberAttribute()
    stacking_limit = NumberAttribute()
    producing_unit = UnicodeAttribute()
    record_form = UnicodeAttribute()
    contents = ListAttribute(of=UnicodeAttribute, null=True)
    note = UnicodeAttribute(null=True)
    retention = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    home_id = UnicodeAttribute(null=True)
    home_footprint_um = NumberAttribute(null=True)
    home_weight_g = NumberAttribute(null=True)
    current = JSONAttribute(null=True)
    loan_id = UnicodeAttribute(null=True)
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class ClaimItem(_Item):
    """Keeps a barcode or RFID tag unique within an organisation."""

    class Meta(_Meta):
        pass

    owner_kind = UnicodeAttribute()  # box | location | repository
    owner_id = UnicodeAttribute()


class HistoryItem(_Item):
    """One entry of a box's or a shelf's location history."""

    class Meta(_Meta):
        pass

    box_id = UnicodeAttribute()
    action = UnicodeAttribute()
    from_location = JSONAttribute(null=True)
    to_location = JSONAttribute(null=True)
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute()
    loan_id = UnicodeAttribute(null=True)


class StepReceiptItem(_Item):
    """A saga step that has run for a loan, with the answer it gave (steps are idempotent on it)."""

    class Meta(_Meta):
        pass

    result = JSONAttribute()
    at = UnicodeAttribute()


class SensorItem(_Item):
    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    id = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    api_key_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    violations = ListAttribute(of=UnicodeAttribute, null=True)
    last_reading_at = UnicodeAttribute(null=True)
    last_temperature_c = NumberAttribute(null=True)
    last_humidity_pct = NumberAttribute(null=True)
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class SensorClaimItem(_Item):
    """The global sensor id → organisation, repository and partner key binding."""

    class Meta(_Meta):
        pass

    org_id = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    api_key_id = UnicodeAttribute()
    status = UnicodeAttribute()


class ReadingItem(_Item):
    class Meta(_Meta):
        pass

    sensor_id = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    at = UnicodeAttribute()
    temperature_c = NumberAttribute(null=True)
    humidity_pct = NumberAttribute(null=True)
    violations = ListAttribute(of=UnicodeAttribute, null=True)
    expiration = NumberAttribute(null=True)


class OutboxItem(outbox_model(DEFAULT_TABLE)):
    class Meta(_Meta):
        pass


# BoxItem first: the shared client keeps the first model's view of the table, which must include gsi1.
MODELS: tuple[type[Model], ...] = (BoxItem, RepositoryItem, LocationItem, ProfileItem, ClaimItem, HistoryItem,
                                   StepReceiptItem, SensorItem, SensorClaimItem, ReadingItem, OutboxItem)
connection = OneTable(DEFAULT_TABLE, MODELS)  # one botocore client for every item type and the transactions


# ------------------------------------------------------------------------ keys
def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


def repo_partition(org_id: str, repository_id: str) -> str:
    return f"ORG#{org_id}#REPO#{repository_id}"


def barcode_key(org_id: str, barcode: str) -> str:
    return f"ORG#{org_id}#BARCODE#{barcode}"


def rfid_key(org_id: str, rfid: str) -> str:
    return f"ORG#{org_id}#RFID#{rfid}"


def box_history_key(org_id: str, box_id: str) -> str:
    return f"ORG#{org_id}#BOX#{box_id}"


def shelf_history_key(org_id: str, shelf_id: str) -> str:
    return f"ORG#{org_id}#LOC#{shelf_id}"


def at_key(org_id: str, shelf_id: str) -> str:
    return f"ORG#{org_id}#AT#{shelf_id}"


def sensor_claim_key(sensor_id: str) -> str:
    return f"SENSOR#{sensor_id}"


def readings_key(org_id: str, repository_id: str, day: str) -> str:
    return f"ORG#{org_id}#ENV#{repository_id}#{day}"
