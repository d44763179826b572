"""Domain dataclasses ↔ PynamoDB items, one generic mapping for every capability.

An item type names the dataclass it stores (`class BoxItem(TABLE.Item, entity=Box)`); it then
gets one attribute per dataclass field, typed from the field's annotation (`str` → text,
`int`/`float` → number, `tuple[str, ...]` → list, `dict`/`Any` → JSON, `X | None` → nullable,
an `Enum` → its value), and converts both ways with `Item.of(entity)` / `item.entity()`.
Adding a plain field to an entity therefore touches the entity alone.

Overrides, per field (`fields={...}`), where storage differs from "an attribute of that name":
- a nested dataclass is spread over top-level attributes (`Flat`, the default: conditions and
  updates can then name them), with renames (`Flat(names={"shelf_id": "home_id"})`), or kept
  whole in one JSON attribute (`Json()`);
- `Renamed("attribute")` stores a field under another name;
- `OMITTED` fields are not stored: the key says them, and the reader passes them back
  (`item.entity(org_id=..., campaign_id=...)`);
- `Field(when=...)` (or `when=` on any override) writes a field only for the entities it holds for;
- an attribute declared in the class body wins over the derived one (e.g. a `MapAttribute`
  that updates address by path).
Attributes that are not fields (keys, index keys, copies) come from the item type's
`derived(entity)` and from keyword arguments to `of()`.

The same value conversions serve JSON: `encode(value)` / `decode(type, data)` turn a dataclass
(nested, tuples, enums) into plain JSON data and back.
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import lru_cache
from typing import Any, Callable, ClassVar, Mapping, TypeVar

from pynamodb.attributes import (Attribute, BooleanAttribute, JSONAttribute, ListAttribute, MapAttribute,
                                 NumberAttribute, UnicodeAttribute)
from pynamodb.indexes import Index
from pynamodb.models import MetaModel, Model

E = TypeVar("E")
I = TypeVar("I", bound="EntityItem")


# --------------------------------------------------------------- overrides
@dataclasses.dataclass(frozen=True)
class Field:
    when: Callable[[Any], bool] | None = dataclasses.field(default=None, kw_only=True)  # write only where it holds


@dataclasses.dataclass(frozen=True)
class Flat(Field):
    """A nested dataclass as top-level attributes; `names` renames some (nested field → attribute)."""

    names: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Json(Field):
    """The value kept whole in one JSON attribute."""


@dataclasses.dataclass(frozen=True)
class Renamed(Field):
    attribute: str = ""


@dataclasses.dataclass(frozen=True)
class Omitted(Field):
    """Not stored (the key carries it); the reader gives it back to `entity()`."""


OMITTED = Omitted()


# ------------------------------------------------------------ value conversions
def _optional(hint: Any) -> tuple[Any, bool]:
    """(the type without None, whether None was allowed)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) < len(typing.get_args(hint)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True
    return hint, False


@lru_cache(maxsize=None)
def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def encode(value: Any) -> Any:
    """Plain JSON-able data: dataclasses as dicts, tuples as lists, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(hint: Any, data: Any) -> Any:
    """`data` (as stored) as a value of type `hint`; None stays None."""
    hint, optional = _optional(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if data is None:  # an empty sequence is stored as nothing
        return origin() if origin in (tuple, list) and not optional else None
    if isinstance(data, MapAttribute):
        data = data.as_dict()
    if dataclasses.is_dataclass(hint):
        field_hints = hints(hint)
        return hint(**{f.name: decode(field_hints[f.name], data[f.name]) for f in dataclasses.fields(hint)
                       if f.name in data})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if hint is int or hint is float:
        return hint(data)
    if origin in (tuple, list):
        element = args[0] if args else Any
        return origin(decode(element, v) for v in data)
    if origin is dict:
        value_hint = args[1] if len(args) == 2 else Any
        return {k: decode(value_hint, v) for k, v in data.items()}
    if hint is dict:
        return dict(data)
    return data


def _attribute(hint: Any, null: bool) -> Attribute:
    """The PynamoDB attribute that stores a value of type `hint`."""
    hint, optional = _optional(hint)
    null = null or optional
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return UnicodeAttribute(null=null)
    if hint is bool:
        return BooleanAttribute(null=null)
    if hint in (int, float):
        return NumberAttribute(null=null)
    if origin in (tuple, list) and args and args[0] in (str, int, float):
        # an empty sequence is stored as no attribute at all
        return ListAttribute(of=UnicodeAttribute if args[0] is str else NumberAttribute, null=True)
    return JSONAttribute(null=null)


# --------------------------------------------------------------------- mapping
@dataclasses.dataclass(frozen=True)
class _Slot:
    """One stored attribute: where its value sits in the entity."""

    attribute: str
    path: tuple[str, ...]  # field, or field and nested field
    when: Callable[[Any], bool] | None


class Layout:
    """How one dataclass is laid out in an item (built once per item type)."""

    def __init__(self, entity: type, overrides: Mapping[str, Field]) -> None:
        unknown = set(overrides) - {f.name for f in dataclasses.fields(entity)}
        if unknown:
            raise TypeError(f"{entity.__name__} has no fields {sorted(unknown)}")
        self.entity, self.overrides = entity, dict(overrides)
        self.slots: list[_Slot] = []
        self.attributes: dict[str, Attribute] = {}
        for f in dataclasses.fields(entity):
            hint = hints(entity)[f.name]
            override = self.overrides.get(f.name)
            inner, optional = _optional(hint)
            null = optional or (override is not None and override.when is not None)
            if isinstance(override, Omitted):
                continue
            if dataclasses.is_dataclass(inner) and not isinstance(override, Json):
                names = override.names if isinstance(override, Flat) else {}
                for nested in dataclasses.fields(inner):
                    self._add(names.get(nested.name, nested.name), (f.name, nested.name), hints(inner)[nested.name],
                              null, False, override)
            else:
                name = override.attribute if isinstance(override, Renamed) else f.name
                self._add(name, (f.name,), hint, null, isinstance(override, Json), override)

    def _add(self, name: str, path: tuple[str, ...], hint: Any, null: bool, json: bool,
             override: Field | None) -> None:
        self.slots.append(_Slot(name, path, override.when if override else None))
        self.attributes[name] = JSONAttribute(null=null or _optional(hint)[1]) if json else _attribute(hint, null)

    def values(self, entity: Any) -> dict[str, Any]:
        """The stored attribute values of an entity."""
        out: dict[str, Any] = {}
        for slot in self.slots:
            if slot.when is not None and not slot.when(entity):
                continue
            value = entity
            for step in slot.path:
                value = None if value is None else getattr(value, step)
            value = encode(value)
            out[slot.attribute] = None if value in ([], ()) else value
        return out

    def build(self, item: Model, given: dict[str, Any]) -> Any:
        """The entity an item holds; `given` supplies omitted fields."""
        stored: dict[str, dict[str, Any]] = {}
        for slot in self.slots:
            stored.setdefault(slot.path[0], {})[slot.path[-1]] = getattr(item, slot.attribute)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self.entity):
            if f.name in given:
                values[f.name] = given[f.name]
                continue
            if f.name not in stored:
                continue
            hint = hints(self.entity)[f.name]
            inner, _ = _optional(hint)
            parts = stored[f.name]
            if dataclasses.is_dataclass(inner) and not isinstance(self.overrides.get(f.name), Json):
                value = _nested(inner, parts)
            else:
                value = decode(hint, parts[f.name])
            if value is None and _has_default(f):
                continue  # e.g. an empty list stored as nothing, or an older item without the field
            values[f.name] = value
        return self.entity(**values)


def _has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _nested(cls: type, parts: dict[str, Any]) -> Any:
    """A flattened dataclass from its attributes; None when none of them is stored."""
    if all(v is None for v in parts.values()):
        return None
    field_hints = hints(cls)
    return cls(**{f.name: decode(field_hints[f.name], parts.get(f.name)) for f in dataclasses.fields(cls)
                  if parts.get(f.name) is not None or not _has_default(f)})


class EntityItemMeta(MetaModel):
    """Adds an entity's attributes, and the key attributes of the indexes it declares, to an item
    type's body before PynamoDB reads it."""

    def __new__(mcs, name, bases, namespace, entity: type | None = None,
                fields: Mapping[str, Field] | None = None, **kwargs):
        for index in [v for v in namespace.values() if isinstance(v, Index)]:
            for key in index.Meta.attributes:  # an index's keys, nullable: indexes are sparse
                namespace.setdefault(key, UnicodeAttribute(null=True))
        if entity is not None:
            mapping = Layout(entity, fields or {})
            for attribute, value in mapping.attributes.items():
                namespace.setdefault(attribute, value)
            namespace["_mapping"] = mapping
        return super().__new__(mcs, name, bases, namespace, **kwargs)

    def __init__(cls, name, bases, namespace, entity: type | None = None,
                 fields: Mapping[str, Field] | None = None, **kwargs):
        super().__init__(name, bases, namespace, **kwargs)


class EntityItem(Model, metaclass=EntityItemMeta):
    """An item type; with `entity=` it stores that dataclass (see the module docstring)."""

    _mapping: ClassVar[Layout | None] = None

    @classmethod
    def derived(cls, entity: Any) -> dict[str, Any]:
        """Attributes computed from the entity: its key, index keys, copies. Overridden per item type."""
        return {}

    @classmethod
    def of(cls: type[I], entity: Any, **attributes: Any) -> I:
        """The item that stores `entity`; `attributes` adds or replaces attributes (e.g. a key the entity
        cannot say)."""
        assert cls._mapping is not None, f"{cls.__name__} stores no entity"
        return cls(**{**cls._mapping.values(entity), **cls.derived(entity), **attributes})

    def entity(self, **given: Any) -> Any:
        """The entity this item stores; `given` supplies the fields it does not store."""
        assert self._mapping is not None, f"{type(self).__name__} stores no entity"
        return self._mapping.build(self, given)
