"""A capability's table, bound one way everywhere.

`Table("stacks")` is a capability's DynamoDB table. Its item types subclass `table.Item`
(a key of `pk` and `sk`, the table's `Meta`, and the entity mapping of `shared.mapping`)
and need no `Meta` of their own: PynamoDB looks `Meta` up like any class attribute, and only
fills defaults into a `Meta` written in a class body, so the one `Meta` here serves them all.

The table name is read at each use (TABLE_NAME, else the capability's own name): tests and
the bench run several capabilities in one process. PynamoDB gives every model class its own
connection and botocore client, and a cold client costs tens of milliseconds; a table's
item types live in one table, so on first use for a name the table binds them all to one
client (`connection()`), also used for its transactions. Nothing is bound, and no client is
made, at import.
"""
from __future__ import annotations

import os
import string
from functools import partial
from typing import Any, Callable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared import transactions
from shared.mapping import EntityItem
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import InvalidCursor

REGION = os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


# The generic indexes every capability table declares (template.yaml): overloaded keys, all attributes.
class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Key:
    """A key's format, written once: `Key("ORG#{org_id}#BOX#{box_id}")("o1", "b1")` is `ORG#o1#BOX#b1`
    (values in the order of the fields, or by name); `Key("BOX#{box_id}")("")` is its prefix."""

    def __init__(self, template: str, *, upper: tuple[str, ...] = ()) -> None:
        self.template = template
        self.fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        self.upper = upper  # fields compared without regard to case (labels such as barcodes)

    def __call__(self, *values: Any, **named: Any) -> str:
        fields = {**dict(zip(self.fields, values)), **named}
        for name in self.upper:
            fields[name] = str(fields[name]).upper()
        return self.template.format(**fields)


def query_page(model: type[Model], hash_key: str, prefix: str, limit: int, cursor: str | None, *,
               read: Callable[..., Any], convert: Callable[[Any], Any] = lambda item: item.entity(),
               filter_condition: Any = None, newest_first: bool = False,
               consistent: bool = False) -> tuple[list[Any], str | None]:
    """One page of a partition's items whose sort key starts with `prefix`, converted (by default to
    their entities), and the cursor of the next page; a cursor of another listing is refused."""
    start = decode_cursor(cursor, expected={"pk": hash_key}, keys={"pk", "sk"})
    if start and not start["sk"].startswith(prefix):
        raise InvalidCursor("The cursor belongs to another listing.")
    result = model.query(hash_key, model.sk.startswith(prefix) if prefix else None, limit=limit,
                         last_evaluated_key=typed_key(start), filter_condition=filter_condition,
                         scan_index_forward=not newest_first, consistent_read=consistent)
    items = read(lambda: [convert(item) for item in result])
    return items, encode_cursor(result.last_evaluated_key)


def table_name(default: str) -> str:
    """The function's own table (TABLE_NAME), else the table named after the capability."""
    return os.environ.get("TABLE_NAME") or default


class Table:
    """A capability's table: its name, the base of its item types, one botocore client for them."""

    def __init__(self, default: str) -> None:
        self.default = default
        self.models: list[type[Model]] = []
        self._bound: dict[str, Connection] = {}
        self.Item = _item_base(self)

    @property
    def name(self) -> str:
        return table_name(self.default)

    def connection(self) -> Connection:
        """The client every item type of this table uses under the current table name."""
        name = self.name
        if name not in self._bound:
            self.reset()
            # The shared client keeps the first model's view of the table: take one that knows the most indexes.
            models = sorted(self.models, key=lambda m: -len(m._indexes))
            shared = _own_connection(models[0]).connection
            for model in models[1:]:
                _own_connection(model).connection = shared
            self._bound[name] = shared
        return self._bound[name]

    def reset(self) -> None:
        """Forget the client (the next use binds a new one, e.g. to another endpoint)."""
        self._bound.clear()
        for model in self.models:
            model._connection = None

    def __call__(self) -> Connection:
        return self.connection()

    def access(self, outbox_item: type[Model] | None = None) -> tuple[type[transactions.Tx], Callable, Callable]:
        """What a capability's data/tx.py exports: `Tx` (one transaction with named failures on this
        table's client, events staged through `outbox_item`), `read` (storage failures become 503
        problems) and `page` (`query_page` with that `read`)."""
        tx = type("Tx", (transactions.Tx,), {"connection": staticmethod(self.connection), "outbox_item": outbox_item,
                                             "store": self.default})
        read = partial(transactions.read, self.default)
        return tx, read, partial(query_page, read=read)


def _own_connection(model: type[Model]) -> Any:
    return Model._get_connection.__func__(model)  # PynamoDB's own, past the binding hook below


def _item_base(table: Table) -> type[EntityItem]:
    class TableName(type):
        @property
        def table_name(cls) -> str:  # read at each use; PynamoDB re-binds a model whose table name changed
            return table.name

    class TableMeta(metaclass=TableName):
        region = REGION

    class Item(EntityItem):
        Meta = TableMeta  # PynamoDB fills in its defaults; subclasses inherit it
        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)

        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            table.models.append(cls)

        @classmethod
        def _get_connection(cls) -> Any:
            if table.name not in table._bound:  # bind every item type of the table to one client first
                table.connection()
            return super()._get_connection()

    return Item
