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
| destruction run ledger       | ORG#<org>#RUN#<run id>          | FILE#<file id>#BOX#<box id> |                             |
| transfer ledger (sender)     | ORG#<org>#XFER#<transfer id>    | FILE#<file id> / BOX#<box id> / CANCELLED / RECEIVER |  |
| transfer ledger (receiver)   | ORG#<org>#XFER#<transfer id>    | IN#<box id>#<execution id> / UNRECEIVED#<execution id> |  |
| sensor                       | ORG#<org>                       | SENSOR#<id>                 |                             |
| sensor claim (partner lookup)| SENSOR#<id>                     | SENSOR                      |                             |
| environment reading          | ORG#<org>#ENV#<R01>#<yyyy-mm-dd> | <at>#<sensor id>           |                             |
| record file (records' files) | ORG#<org>#FILE#<file id>        | FILE                        |                             |
| records event applied        | EVENT#<event id>                | APPLIED                     |                             |
| outbox event                 | OUTBOX#<event id>               | EVENT                       |                             |
| idempotency record           | IDEMPOTENCY#<function>          | <key hash>                  |                             |

A repository's whole tree lives in one partition, in shelf order, so an occupancy report
or a suggestion is one query. Barcodes are one namespace per organisation (a scanner
reading a label must know whether it is a box or a shelf). Sensor ids are global (device
serials): the partner route finds a sensor by id alone and then checks the API key.
Record files are a read model of the records capability's events (one partition per file, so a
box's files are one BatchGet); each applied event leaves a receipt (expiring after 30 days) in
the same write, so a redelivered event changes nothing.

Item types that store a domain entity get their attributes from it (shared.mapping); the
others are declared here. The table name is read at each use (`TABLE_NAME`, default `stacks`).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from shared.mapping import Field, Flat
from shared.outbox import outbox_model
from shared.storage import Gsi1, Key, Table

from ..domain.codes import KINDS, InvalidCode, LocationCode
from ..domain.model import ContainerProfile, Location, LocationProfile, Reading, Repository, Sensor, Box
from ..domain.records import RecordFile

TABLE = Table("stacks")
PROFILE_PREFIX = {"location": "LPROFILE#", "container": "CPROFILE#"}


# ------------------------------------------------------------------------ keys
org_key = Key("ORG#{org_id}")
repo_partition = Key("ORG#{org_id}#REPO#{repository_id}")


def location_sort_key(code: LocationCode) -> str:
    """A location's sort key inside its repository's partition (fixed width, so keys sort in shelf order)."""
    if code.kind == "repository":
        return f"REPO#{code.repository}"
    return f"{code.kind.upper()}#" + "#".join(f"{n:02d}" for n in code.numbers)


def location_prefix(code: LocationCode, kind: str) -> str:
    """Sort-key prefix of every location of `kind` at or below `code`."""
    if KINDS.index(kind) < KINDS.index(code.kind):
        raise InvalidCode(f"No {kind} lies below a {code.kind}.")
    if kind == code.kind:
        return location_sort_key(code)  # itself (numbers are fixed width: no other key starts with it)
    return f"{kind.upper()}#" + "".join(f"{n:02d}#" for n in code.numbers)


def repository_sort_key(repository_id: str) -> str:
    return location_sort_key(LocationCode(repository_id))


def location_key(org_id: str, code: LocationCode) -> tuple[str, str]:
    return repo_partition(org_id, code.repository), location_sort_key(code)


box_key = Key("BOX#{box_id}")
sensor_key = Key("SENSOR#{sensor_id}")
# One label namespace regardless of case: `seca-001` is `SECA-001` (as location codes and RFID tags are).
barcode_key = Key("ORG#{org_id}#BARCODE#{barcode}", upper=("barcode",))
rfid_key = Key("ORG#{org_id}#RFID#{rfid}")
box_history_key = Key("ORG#{org_id}#BOX#{box_id}")
shelf_history_key = Key("ORG#{org_id}#LOC#{shelf_id}")
at_key = Key("ORG#{org_id}#AT#{shelf_id}")
sensor_claim_key = Key("SENSOR#{sensor_id}")
readings_key = Key("ORG#{org_id}#ENV#{repository_id}#{day}")
receipt_key = Key("STEP#{loan_id}#{step}")
record_file_key = Key("ORG#{org_id}#FILE#{file_id}")
run_ledger_key = Key("ORG#{org_id}#RUN#{run_id}")
transfer_ledger_key = Key("ORG#{org_id}#XFER#{transfer_id}")
applied_event_key = Key("EVENT#{event_id}")


# ----------------------------------------------------------------- item types
class RepositoryItem(TABLE.Item, entity=Repository):
    @classmethod
    def derived(cls, repo: Repository) -> dict[str, Any]:
        return {"pk": org_key(repo.org_id), "sk": repository_sort_key(repo.id)}


def _is_shelf(loc: Location) -> bool:
    return loc.kind == "shelf" and loc.dimensions is not None


class LocationItem(TABLE.Item, entity=Location, fields={
        "profile_id": Field(when=_is_shelf), "use": Flat(names={"boxes": "box_count"}, when=_is_shelf),
        "holdings": Field(when=_is_shelf)}):
    """Ranges, sections and shelves (shelves also carry dimensions and counters)."""

    holdings = MapAttribute(null=True)  # updated by path, one arrangement group at a time

    @classmethod
    def derived(cls, loc: Location) -> dict[str, Any]:
        pk, sk = location_key(loc.org_id, loc.code)
        return {"pk": pk, "sk": sk}


class LocationProfileItem(TABLE.Item, entity=LocationProfile):
    """Shelf dimensions shared by many shelves."""

    kind = UnicodeAttribute()

    @classmethod
    def derived(cls, profile: LocationProfile) -> dict[str, Any]:
        return {"pk": org_key(profile.org_id), "sk": PROFILE_PREFIX["location"] + profile.id, "kind": "location"}


class ContainerProfileItem(TABLE.Item, entity=ContainerProfile):
    """Box dimensions, weight and stacking limit of a kind of box."""

    kind = UnicodeAttribute()

    @classmethod
    def derived(cls, profile: ContainerProfile) -> dict[str, Any]:
        return {"pk": org_key(profile.org_id), "sk": PROFILE_PREFIX["container"] + profile.id, "kind": "container"}


class BoxItem(TABLE.Item, entity=Box, fields={
        "home": Flat(names={"shelf_id": "home_id", "footprint_um": "home_footprint_um", "weight_g": "home_weight_g"})}):
    gsi1 = Gsi1()

    @classmethod
    def derived(cls, box: Box) -> dict[str, Any]:
        keys = {"pk": org_key(box.org_id), "sk": box_key(box.id)}
        if box.home:  # listed under its home shelf while it has one
            keys |= {"gsi1pk": at_key(box.org_id, box.home.shelf_id), "gsi1sk": box_key(box.id)}
        return keys


class ClaimItem(TABLE.Item):
    """Keeps a barcode or RFID tag unique within an organisation."""

    owner_kind = UnicodeAttribute()  # box | location | repository
    owner_id = UnicodeAttribute()


class HistoryItem(TABLE.Item):
    """One entry of a box's or a shelf's location history."""

    box_id = UnicodeAttribute()
    action = UnicodeAttribute()
    from_location = JSONAttribute(null=True)
    to_location = JSONAttribute(null=True)
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute()
    loan_id = UnicodeAttribute(null=True)
    detail = JSONAttribute(null=True)  # a saga's particulars: the run, executor and supervisor; the transfer


class StepReceiptItem(TABLE.Item):
    """A saga step that has run for a loan, with the answer it gave (steps are idempotent on it)."""

    result = JSONAttribute()
    at = UnicodeAttribute()


class LedgerItem(TABLE.Item):
    """What a destruction run or a transfer did to which box (its steps answer from it when retried),
    and its markers (a transfer cancelled, its receipt reverted, its receiver)."""

    box_id = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    at = UnicodeAttribute()


class SensorItem(TABLE.Item, entity=Sensor):
    @classmethod
    def derived(cls, sensor: Sensor) -> dict[str, Any]:
        return {"pk": org_key(sensor.org_id), "sk": sensor_key(sensor.id)}


class SensorClaimItem(TABLE.Item):
    """The global sensor id → organisation, repository and partner key binding."""

    org_id = UnicodeAttribute()
    repository_id = UnicodeAttribute()
    partner_client_id = UnicodeAttribute()
    status = UnicodeAttribute()


class ReadingItem(TABLE.Item, entity=Reading):
    expiration = NumberAttribute(null=True)  # TTL; the key and expiry come from the writer (see environment.py)


class RecordFileItem(TABLE.Item, entity=RecordFile):
    """A record file as records' events describe it (FileCreated, FileStatusChanged)."""

    @classmethod
    def derived(cls, file: RecordFile) -> dict[str, Any]:
        return {"pk": record_file_key(file.org_id, file.id), "sk": "FILE"}


class AppliedEventItem(TABLE.Item):
    """An event of another capability this table has applied (consumers are idempotent on it)."""

    at = UnicodeAttribute()
    expiration = NumberAttribute()  # TTL: redeliveries come within minutes, not weeks


OutboxItem = outbox_model(TABLE.Item)
