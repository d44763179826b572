"""Make moto's DynamoDB writes atomic with respect to each other, as DynamoDB's are.

moto checks a transaction's conditions and then applies it without a lock, and backs a
transaction up by deep-copying every table it touches. Under concurrent requests (bulk
placement, fifty check-outs of one box) that lets two conditional writes both succeed,
or fails a copy with "dictionary changed size during iteration"; and once a table holds a
few thousand items each transaction takes seconds. Here every write and transaction runs
under one lock, and a transaction backs up only the items it touches. A cancelled
transaction also takes back the stream records its applied operations appended: moto
restores the table's items but not its stream, so the outbox event of a refused write
would otherwise still reach the bus (DynamoDB never streams a cancelled transaction).

Used by the local system (before its moto server starts), the integration tests and the
bench: one emulation of DynamoDB's guarantees, not three.
"""
from __future__ import annotations

import copy
import functools
import threading
from typing import Any, Callable

_LOCK = threading.RLock()


def make_dynamodb_atomic(set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's DynamoDB backend (pass pytest's `monkeypatch.setattr` to undo it after a test)."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_atomic", False):
        return
    for name in ("put_item", "update_item", "delete_item", "get_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, _original=original, **kwargs):
            with _LOCK:
                return _original(self, *args, **kwargs)

        set_attr(DynamoDBBackend, name, functools.wraps(original)(locked))

    class _TablesUncopied:
        """`copy` as moto's transaction sees it: tables are not deep-copied (touched items are, below)."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    original_transact = DynamoDBBackend.transact_write_items

    def transact(self, transact_items):
        with _LOCK:
            backup = []
            streams = {}  # shard -> how many records it held before the transaction
            for entry in transact_items:
                op = next(iter(entry.values()))
                table = self.get_table(op["TableName"])
                key = op.get("Key") or {k: op["Item"][k] for k in (table.hash_key_attr, table.range_key_attr) if k}
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                backup.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
                shard = getattr(table, "stream_shard", None)
                if shard is not None:
                    streams.setdefault(id(shard), (shard, len(shard.items)))
            models.copy = _TablesUncopied()
            try:
                return original_transact(self, transact_items)
            except Exception:
                for table, hash_value, range_value, item in backup:
                    if item is not None:
                        table.items[hash_value][range_value] = item
                    elif table.get_item(hash_value, range_value) is not None:
                        table.items[hash_value].pop(range_value)
                for shard, length in streams.values():
                    del shard.items[length:]
                raise
            finally:
                models.copy = copy

    transact._atomic = True
    set_attr(DynamoDBBackend, "transact_write_items", functools.wraps(original_transact)(transact))
