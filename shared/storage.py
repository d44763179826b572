"""PynamoDB plumbing shared by capabilities.

PynamoDB gives every model class its own connection and botocore client; a cold
client costs tens of milliseconds. A capability's item types all live in one table,
so they share one client (`one_client`), also used for its transactions.

A capability whose table name may change within a process (tests and the bench run
several capabilities in one) takes its models' `Meta` from `table_meta` and binds them
with `OneTable`: the name is TABLE_NAME at each use, or the capability's own table name.
"""
from __future__ import annotations

import os

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

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


def one_client(*models: type[Model]) -> Connection:
    shared = models[0]._get_connection().connection
    for model in models[1:]:
        model._get_connection().connection = shared
    return shared


def table_name(default: str) -> str:
    """The function's own table (TABLE_NAME), else the table named after the capability."""
    return os.environ.get("TABLE_NAME") or default


def table_meta(default: str) -> type:
    """A base for models' `Meta` whose `table_name` is read at each use (PynamoDB re-binds a
    model whose Meta.table_name changed, see Model._get_connection)."""

    class TableFromEnvironment(type):
        @property
        def table_name(cls) -> str:
            return table_name(default)

    class Meta(metaclass=TableFromEnvironment):
        region = REGION

    return Meta


class OneTable:
    """A capability's item types bound to one botocore client for the current table name."""

    def __init__(self, default: str, models: tuple[type[Model], ...]) -> None:
        self.default, self.models = default, models
        self._bound: dict[str, Connection] = {}
        self.connection()  # bind now, in Lambda's init phase; another TABLE_NAME later re-binds on next use

    def connection(self) -> Connection:
        name = table_name(self.default)
        if name not in self._bound:
            self.reset()
            self._bound[name] = one_client(*self.models)
        return self._bound[name]

    def reset(self) -> None:
        """Forget the client (the next use binds a new one, e.g. to another endpoint)."""
        self._bound.clear()
        for model in self.models:
            model._connection = None

    def __call__(self) -> Connection:
        return self.connection()

