"""The generic dataclass ↔ item mapping (shared.mapping) and table binding (shared.storage), without AWS."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import pytest
from pynamodb.attributes import JSONAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from shared.mapping import OMITTED, Field, Flat, Json, Renamed, decode, encode
from shared.storage import Gsi1, Gsi2, Table


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Size:
    width_mm: int
    weight_kg: float
    stacking_limit: int = 1


@dataclass(frozen=True)
class Spot:
    shelf_id: str
    footprint_um: int


@dataclass(frozen=True)
class Person:
    user_id: str
    org_id: str | None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Crate:
    org_id: str
    id: str
    size: Size
    owner: Person
    colour: Colour
    label: str | None = None
    tags: tuple[str, ...] = ()
    home: Spot | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    version: int = 1
    campaign_id: str = ""


TABLE = Table("crates-test")


def _is_homed(crate: Crate) -> bool:
    return crate.home is not None


class CrateItem(TABLE.Item, entity=Crate, fields={
        "owner": Json(), "home": Flat(names={"shelf_id": "home_id", "footprint_um": "home_um"}),
        "label": Renamed("title"), "campaign_id": OMITTED, "counts": Field(when=_is_homed)}):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    counts = MapAttribute(null=True)  # declared in the body: wins over the derived JSON attribute

    @classmethod
    def derived(cls, crate: Crate) -> dict[str, Any]:
        keys = {"pk": f"ORG#{crate.org_id}", "sk": f"CRATE#{crate.id}"}
        if crate.home:
            keys |= {"gsi1pk": f"AT#{crate.home.shelf_id}", "gsi1sk": crate.id}
        return keys


class PlainItem(TABLE.Item):
    note = UnicodeAttribute()


class WideItem(TABLE.Item):
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)


CRATE = Crate(org_id="o1", id="c1", size=Size(400, 12.5, 2), owner=Person("u1", "o1", ("archivist",)),
              colour=Colour.BLUE, label="Minutes 1998", tags=("a", "b"), home=Spot("R01-01-01-1", 40_000),
              extra={"nested": [1, {"x": None}]}, counts={"doc|HR": 3}, version=7, campaign_id="camp-1")


def _stored(item):
    """The item as DynamoDB would hand it back (serialized, then read)."""
    return type(item).from_raw_data(item.serialize())


def test_attributes_are_derived_from_the_annotations_and_overrides():
    attrs = CrateItem.get_attributes()
    kinds = {name: (type(a), a.null) for name, a in attrs.items()}
    assert kinds["org_id"] == (UnicodeAttribute, False) and kinds["version"] == (NumberAttribute, False)
    assert kinds["width_mm"] == (NumberAttribute, False) and kinds["stacking_limit"] == (NumberAttribute, False)
    assert kinds["home_id"] == (UnicodeAttribute, True) and kinds["home_um"] == (NumberAttribute, True)
    assert kinds["owner"] == (JSONAttribute, False) and kinds["notes"] == (JSONAttribute, True)
    assert kinds["title"] == (UnicodeAttribute, True) and "label" not in attrs
    assert kinds["tags"] == (ListAttribute, True) and kinds["colour"] == (UnicodeAttribute, False)
    assert kinds["counts"] == (MapAttribute, True)
    assert "campaign_id" not in attrs and "size" not in attrs and "home" not in attrs


def test_an_entity_round_trips_through_its_stored_item():
    item = CrateItem.of(CRATE)
    assert (item.pk, item.sk, item.gsi1pk, item.gsi1sk) == ("ORG#o1", "CRATE#c1", "AT#R01-01-01-1", "c1")
    assert (item.title, item.home_id, item.home_um, item.colour) == ("Minutes 1998", "R01-01-01-1", 40_000, "blue")
    assert item.owner == {"user_id": "u1", "org_id": "o1", "roles": ["archivist"]}
    back = _stored(item).entity(campaign_id="camp-1")
    assert back == CRATE
    assert isinstance(back.size.weight_kg, float) and isinstance(back.version, int) and back.tags == ("a", "b")


def test_none_and_empty_values_are_stored_as_nothing_and_read_back_as_the_defaults():
    bare = Crate(org_id="o1", id="c2", size=Size(300, 2), owner=Person("u2", None), colour=Colour.RED)
    item = CrateItem.of(bare)
    raw = item.serialize()
    assert {"title", "tags", "home_id", "home_um", "notes", "gsi1pk", "counts"}.isdisjoint(raw)
    assert raw["extra"] == {"S": "{}"}  # a non-optional dict is kept, empty
    assert _stored(item).entity() == bare
    assert _stored(item).entity().home is None and _stored(item).entity().counts == {}


def test_a_field_written_only_when_its_condition_holds():
    assert CrateItem.of(CRATE).counts.as_dict() == {"doc|HR": 3}
    unhomed = Crate(org_id="o1", id="c3", size=Size(300, 2), owner=Person("u2", None), colour=Colour.RED,
                    counts={"doc|HR": 1})
    assert CrateItem.of(unhomed).counts is None


def test_an_older_item_without_a_newer_field_reads_with_the_fields_default():
    item = CrateItem.of(CRATE)
    raw = item.serialize()
    del raw["version"], raw["stacking_limit"], raw["tags"]
    old = CrateItem.from_raw_data(raw).entity()
    assert (old.version, old.size.stacking_limit, old.tags) == (1, 1, ())


def test_attributes_given_to_of_add_to_or_replace_the_derived_ones():
    item = CrateItem.of(CRATE, gsi1pk=None, gsi1sk=None, sk="OTHER")
    assert (item.sk, item.gsi1pk) == ("OTHER", None)


def test_an_unknown_override_is_refused_when_the_item_type_is_declared():
    with pytest.raises(TypeError, match="no fields"):
        class Wrong(TABLE.Item, entity=Size, fields={"height_mm": Renamed("h")}):
            pass
    assert "Wrong" not in {m.__name__ for m in TABLE.models}


def test_json_helpers_convert_nested_dataclasses_tuples_and_enums():
    data = encode(CRATE)
    assert data["size"] == {"width_mm": 400, "weight_kg": 12.5, "stacking_limit": 2}
    assert data["colour"] == "blue" and data["tags"] == ["a", "b"] and data["owner"]["roles"] == ["archivist"]
    assert decode(Crate, data) == CRATE
    assert decode(Person | None, None) is None and decode(tuple[str, ...], None) == ()
    assert decode(dict[str, int], {"a": 2.0}) == {"a": 2}


def test_every_item_type_of_a_table_shares_its_meta_and_is_registered():
    assert {CrateItem, PlainItem, WideItem} <= set(TABLE.models)
    assert CrateItem.Meta is PlainItem.Meta is TABLE.Item.Meta
    assert "Meta" not in vars(CrateItem) and "Meta" not in vars(PlainItem)


def test_the_table_name_is_read_at_each_use(monkeypatch):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    assert CrateItem.Meta.table_name == "crates-test"
    monkeypatch.setenv("TABLE_NAME", "elsewhere")
    assert CrateItem.Meta.table_name == PlainItem.Meta.table_name == "elsewhere"


def test_one_client_serves_every_item_type_and_rebinds_for_another_table_name(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "first")
    shared = TABLE.connection()
    connections = {m._get_connection().connection for m in TABLE.models}
    assert connections == {shared}
    # the shared client keeps the view of the model knowing the most indexes (gsi1 and gsi2)
    assert {i["IndexName"] for i in shared.get_meta_table("first").data.get("GlobalSecondaryIndexes", [])} \
        == {"gsi1", "gsi2"}
    monkeypatch.setenv("TABLE_NAME", "second")
    assert PlainItem._get_connection().table_name == "second"
    assert {m._get_connection().connection for m in TABLE.models} == {TABLE.connection()} != {shared}
