"""Repositories, locations, profiles, boxes, sensors and readings as the stacks capability sees them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .capacity import UM_PER_MM, BoxSize, ShelfDimensions, ShelfUse, fill_ratio, free_g, free_um
from .codes import LocationCode, parse

LOCATION_STATUSES = ("active", "inactive")
# Retention periods (보존기간, Public Records Management Act art. 19): what the box's records are kept for.
RETENTIONS = ("1y", "3y", "5y", "10y", "30y", "semi_permanent", "permanent")
RECORD_FORMS = ("document", "drawing", "photo_film", "audio_video", "card", "register", "publication",
                "artefact", "electronic_media")
DESTINATION_KINDS = ("reading_room", "conservation_lab", "exhibition", "scanning_room")


@dataclass(frozen=True)
class Repository:
    """서고: a stack room with environment targets per medium."""

    org_id: str
    id: str  # its code, e.g. R01
    name: str
    barcode: str | None = None
    environment_targets: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    kind = "repository"

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": "repository", "code": self.id, "name": self.name, "barcode": self.barcode,
                "environment_targets": self.environment_targets, "status": self.status, "version": self.version,
                "created_at": self.created_at, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Repository":
        return replace(self, **changes)


@dataclass(frozen=True)
class Location:
    """A range (서가), section (연) or shelf (단). Shelves carry their dimensions (copied from
    their location profile) and what is on them (counters kept by conditional writes)."""

    org_id: str
    id: str  # its code, e.g. R01-03-05-2
    kind: str
    name: str | None = None
    barcode: str | None = None
    status: str = "active"
    version: int = 1
    created_at: str = ""
    updated_at: str = ""
    # shelves only
    profile_id: str | None = None
    dimensions: ShelfDimensions | None = None
    use: ShelfUse = ShelfUse()
    holdings: dict[str, int] = field(default_factory=dict)  # "<record form>|<producing unit>" → boxes

    @property
    def code(self) -> LocationCode:
        return parse(self.id)

    @property
    def repository_id(self) -> str:
        return self.code.repository

    @property
    def parent_id(self) -> str:
        return str(self.code.parent)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def public(self) -> dict[str, Any]:
        code = self.code
        data: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "code": self.id, "repository_id": code.repository,
            "parent_id": str(code.parent), "number": code.number, "name": self.name, "barcode": self.barcode,
            "status": self.status, "version": self.version, "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.kind == "shelf" and self.dimensions is not None:
            dims, use = self.dimensions, self.use
            data["location_profile_id"] = self.profile_id
            data["dimensions"] = {"width_mm": dims.width_mm, "height_mm": dims.height_mm, "depth_mm": dims.depth_mm,
                                  "load_limit_kg": dims.load_limit_kg}
            data["occupancy"] = {
                "boxes": use.boxes, "used_width_mm": use.used_um / UM_PER_MM,
                "free_width_mm": free_um(dims, use) / UM_PER_MM, "used_weight_kg": use.used_g / 1000,
                "free_weight_kg": free_g(dims, use) / 1000, "fill_ratio": fill_ratio(dims, use),
                "holdings": [{"record_form": k.split("|", 1)[0], "producing_unit": k.split("|", 1)[1], "boxes": n}
                             for k, n in sorted(self.holdings.items()) if n > 0],
            }
        return data

    def with_changes(self, **changes: Any) -> "Location":
        return replace(self, **changes)


@dataclass(frozen=True)
class LocationProfile:
    """Shelf dimensions and load limit shared by many shelves (ArchivesSpace's location profile)."""

    org_id: str
    id: str
    name: str
    dimensions: ShelfDimensions
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        d = self.dimensions
        return {"id": self.id, "name": self.name, "width_mm": d.width_mm, "height_mm": d.height_mm,
                "depth_mm": d.depth_mm, "load_limit_kg": d.load_limit_kg, "version": self.version,
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class ContainerProfile:
    """A kind of archival box (보존상자): outer dimensions, typical filled weight, stacking limit."""

    org_id: str
    id: str
    name: str
    size: BoxSize
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        s = self.size
        return {"id": self.id, "name": self.name, "width_mm": s.width_mm, "height_mm": s.height_mm,
                "depth_mm": s.depth_mm, "weight_kg": s.weight_kg, "stacking_limit": s.stacking_limit,
                "version": self.version, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class Placement:
    """Where a box's space is held: its home shelf and what it uses there."""

    shelf_id: str
    footprint_um: int
    weight_g: int


@dataclass(frozen=True)
class Box:
    """보존상자: a box of record files, on a shelf or not."""

    org_id: str
    id: str
    barcode: str
    container_profile_id: str
    size: BoxSize
    producing_unit: str
    record_form: str
    title: str | None = None
    rfid: str | None = None
    contents: tuple[str, ...] = ()  # free text: what is in the box and not registered as a record file
    files: tuple[str, ...] = ()  # ids of the record files (records' 기록물철) in the box
    note: str | None = None
    retention: str | None = None  # the longest retention of the records in the box
    status: str = "unplaced"
    home: Placement | None = None
    current: dict[str, Any] | None = None  # {"kind": "shelf", "id": ...} or a destination
    loan_id: str | None = None
    # the transfer that holds the box: {"id", "direction": "out" | "in", "prior_status"?, "sender_org"?}
    transfer: dict[str, Any] | None = None
    received_from: dict[str, Any] | None = None  # {"org_id", "transfer_id"}: it came in a transfer
    # how it ended (final statuses): {"kind": "destroyed", "run_id", "executed_by", "supervisor", "at"}
    # or {"kind": "transferred", "transfer_id", "receiver_org", "at"}
    disposition: dict[str, Any] | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    @property
    def arrangement_key(self) -> str:
        return holding_key(self.record_form, self.producing_unit)

    @property
    def leaving(self) -> bool:
        """A transfer is taking it out of this organisation's stacks."""
        return bool(self.transfer) and self.transfer.get("direction") == "out"

    @property
    def arriving(self) -> bool:
        """It came in a transfer and waits for its first shelf here."""
        return bool(self.transfer) and self.transfer.get("direction") == "in"

    def manifest(self) -> dict[str, Any]:
        """What a receiving organisation needs to register the box (a transfer step's result)."""
        s = self.size
        return {"box_id": self.id, "barcode": self.barcode, "rfid": self.rfid, "title": self.title,
                "container_profile_id": self.container_profile_id,
                "size": {"width_mm": s.width_mm, "height_mm": s.height_mm, "depth_mm": s.depth_mm,
                         "weight_kg": s.weight_kg, "stacking_limit": s.stacking_limit},
                "producing_unit": self.producing_unit, "record_form": self.record_form,
                "contents": list(self.contents), "files": list(self.files), "note": self.note,
                "retention": self.retention}

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "barcode": self.barcode, "rfid": self.rfid, "title": self.title,
                "container_profile_id": self.container_profile_id, "producing_unit": self.producing_unit,
                "record_form": self.record_form, "contents": list(self.contents), "files": list(self.files),
                "note": self.note,
                "retention": self.retention,
                "weight_kg": self.size.weight_kg, "status": self.status,
                "home_location_id": self.home.shelf_id if self.home else None,
                "current_location": self.current, "loan_id": self.loan_id, "transfer": self.transfer,
                "received_from": self.received_from, "disposition": self.disposition, "version": self.version,
                "created_at": self.created_at, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Box":
        return replace(self, **changes)


def received_box(org_id: str, manifest: dict[str, Any], transfer_id: str, sender_org: str, at: str) -> Box:
    """The box a sender's manifest describes, registered at the receiver: in transfer, with no home yet."""
    size = manifest["size"]
    return Box(org_id=org_id, id=manifest["box_id"], barcode=manifest["barcode"], rfid=manifest.get("rfid"),
               title=manifest.get("title"), container_profile_id=manifest["container_profile_id"],
               size=BoxSize(int(size["width_mm"]), int(size["height_mm"]), int(size["depth_mm"]),
                            float(size["weight_kg"]), int(size.get("stacking_limit") or 1)),
               producing_unit=manifest["producing_unit"], record_form=manifest["record_form"],
               contents=tuple(manifest.get("contents") or ()), files=tuple(manifest.get("files") or ()),
               note=manifest.get("note"), retention=manifest.get("retention"), status="in_transfer",
               transfer={"id": transfer_id, "direction": "in", "sender_org": sender_org},
               received_from={"org_id": sender_org, "transfer_id": transfer_id}, created_at=at, updated_at=at)


def holding_key(record_form: str, producing_unit: str) -> str:
    return f"{record_form}|{producing_unit}"


def shelf_location(shelf_id: str) -> dict[str, Any]:
    return {"kind": "shelf", "id": shelf_id}


@dataclass(frozen=True)
class Sensor:
    """A temperature/humidity sensor in a repository, posting through one partner client (any of its keys)."""

    org_id: str
    id: str
    repository_id: str
    partner_client_id: str
    name: str | None = None
    status: str = "active"
    violations: tuple[str, ...] = ()
    last_reading_at: str | None = None
    last_temperature_c: float | None = None
    last_humidity_pct: float | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "repository_id": self.repository_id, "partner_client_id": self.partner_client_id,
                "name": self.name, "status": self.status, "violations": list(self.violations),
                "last_reading": ({"at": self.last_reading_at, "temperature_c": self.last_temperature_c,
                                  "humidity_pct": self.last_humidity_pct} if self.last_reading_at else None),
                "version": self.version, "created_at": self.created_at, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Sensor":
        return replace(self, **changes)


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    repository_id: str
    at: str  # ISO 8601 UTC, milliseconds, Z
    temperature_c: float | None = None
    humidity_pct: float | None = None
    violations: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        return {"sensor_id": self.sensor_id, "repository_id": self.repository_id, "at": self.at,
                "temperature_c": self.temperature_c, "humidity_pct": self.humidity_pct,
                "violations": list(self.violations)}
