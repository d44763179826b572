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

A commit observer (`observe_commits`) sees the new state of every item a committed write
changed, in commit order, while the lock is held: the local system's write-ahead journal
(infrastructure/local/journal.py) records it there, and the returned wait runs after the
lock is released, before moto answers, so an acknowledged write is a durable one.

Used by the local system (before its moto server starts), the integration tests and the
bench: one emulation of DynamoDB's guarantees, not three.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import threading
from typing import Any, Callable, Iterator

_LOCK = threading.RLock()
_IN_TRANSACTION = threading.local()

# (table name, key, item or None when deleted), as DynamoDB JSON
Change = tuple[str, dict[str, Any], "dict[str, Any] | None"]
Observer = Callable[[list[Change]], "Callable[[], None] | None"]
_observer: list[Observer] = []


def observe_commits(observer: Observer | None) -> None:
    """Call `observer(changes)` after every committed write (None stops it). It runs under the
    write lock and may return a function that is called after the lock is released."""
    _observer[:] = [observer] if observer else []


@contextlib.contextmanager
def writes_paused() -> Iterator[None]:
    """No write commits while inside (the journal rotates its segment here)."""
    with _LOCK:
        yield


def make_dynamodb_atomic(set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's DynamoDB backend (pass pytest's `monkeypatch.setattr` to undo it after a test)."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_atomic", False):
        return

    def state(table: Table, key: dict[str, Any]) -> Change:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
        return table.name, key, item.to_json()["Attributes"] if item is not None else None

    def key_of(table: Table, op_name: str, args: tuple, kwargs: dict) -> dict[str, Any]:
        if op_name == "put_item":
            attrs = args[0] if args else kwargs["item_attrs"]
            return {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k}
        return args[0] if args else kwargs["key"]

    def notify(changes: list[Change]) -> Callable[[], None] | None:
        return _observer[0](changes) if _observer and changes else None

    # Reads too: moto's query and scan iterate a table's dict while another thread's write may
    # change it ("dictionary changed size during iteration" under concurrent requests).
    for name in ("get_item", "query", "scan"):
        original = getattr(DynamoDBBackend, name)

        def locked_read(self, *args, _original=original, **kwargs):
            with _LOCK:
                return _original(self, *args, **kwargs)

        set_attr(DynamoDBBackend, name, functools.wraps(original)(locked_read))

    for name in ("put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, table_name, *args, _original=original, _name=name, **kwargs):
            with _LOCK:
                result = _original(self, table_name, *args, **kwargs)
                wait = None
                if _observer and not getattr(_IN_TRANSACTION, "active", False):
                    table = self.get_table(table_name)
                    wait = notify([state(table, key_of(table, _name, args, kwargs))])
            if wait is not None:
                wait()
            return result

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
        wait = None
        with _LOCK:
            backup, written = [], []
            streams = {}  # shard -> how many records it held before the transaction
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                key = op.get("Key") or {k: op["Item"][k] for k in (table.hash_key_attr, table.range_key_attr) if k}
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                backup.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
                if op_type != "ConditionCheck":
                    written.append((table, key))
                shard = getattr(table, "stream_shard", None)
                if shard is not None:
                    streams.setdefault(id(shard), (shard, len(shard.items)))
            models.copy = _TablesUncopied()
            _IN_TRANSACTION.active = True
            try:
                result = original_transact(self, transact_items)
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
                _IN_TRANSACTION.active = False
            if _observer:  # the whole transaction is one record: replayed all or nothing
                wait = notify([state(table, key) for table, key in written])
        if wait is not None:
            wait()
        return result

    transact._atomic = True
    set_attr(DynamoDBBackend, "transact_write_items", functools.wraps(original_transact)(transact))
