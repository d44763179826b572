"""One TransactWriteItems per change, with a problem named for each condition that can fail.

PynamoDB sends a transaction's operations grouped (condition checks, deletes, puts, then
updates), and DynamoDB reports cancellation reasons in that order. `Tx` records each
operation's problem in the same grouping, so a failed condition maps to the right answer
("that barcode is taken", "the shelf is full", "the request changed") whatever the order
the code added the operations in. `event()` stages a domain event in the same transaction
(the transactional outbox).

A capability subclasses `Tx` once in its `data/tx.py`, naming its table's connection, its
outbox item type and how its store is called in error messages; `read` wraps its reads.
"""
from __future__ import annotations

import random
import time
from typing import Any, Callable

from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared import outbox
from shared.events import DomainEvent
from shared.problems import Conflict, ServiceUnavailable

CONFLICT_ATTEMPTS = 5

Failure = Exception | Callable[[], Exception] | None


class Tx:
    """Subclasses set `connection` (a callable returning the table's PynamoDB connection),
    `outbox_item` (the table's outbox model) and `store` (the capability, for messages)."""

    connection: Callable[[], Any]
    outbox_item: type[Model]
    store: str = "records"

    def __init__(self) -> None:
        self._ops: dict[str, list[tuple[Callable[[TransactWrite], None], Failure]]] = {
            "check": [], "delete": [], "put": [], "update": []}
        self._order: list[str] = []  # the kind of each operation, in the order they were added

    def _add(self, kind: str, op: Callable[[TransactWrite], None], on_fail: Failure) -> "Tx":
        self._ops[kind].append((op, on_fail))
        self._order.append(kind)
        return self

    @property
    def size(self) -> int:
        """Operations so far (DynamoDB takes at most 100 in one transaction)."""
        return len(self._order)

    def truncate(self, size: int) -> None:
        """Drop the operations added after the transaction had `size` (a bulk row rejected half-way)."""
        while len(self._order) > size:
            self._ops[self._order.pop()].pop()

    def put(self, item: Model, condition: Condition | None = None, on_fail: Failure = None) -> "Tx":
        return self._add("put", lambda tx: tx.save(item, condition=condition), on_fail)

    def update(self, item: Model, actions: list[Any], condition: Condition | None = None,
               on_fail: Failure = None) -> "Tx":
        return self._add("update", lambda tx: tx.update(item, actions=actions, condition=condition), on_fail)

    def delete(self, item: Model, condition: Condition | None = None, on_fail: Failure = None) -> "Tx":
        return self._add("delete", lambda tx: tx.delete(item, condition=condition), on_fail)

    def check(self, model: type[Model], hash_key: str, range_key: str, condition: Condition,
              on_fail: Failure = None) -> "Tx":
        return self._add("check", lambda tx: tx.condition_check(model, hash_key, range_key, condition=condition),
                         on_fail)

    def event(self, event: DomainEvent) -> "Tx":
        return self._add("put", lambda tx: outbox.stage(tx, self.outbox_item, event), None)

    def run(self) -> None:
        """Commit; a conflict with a concurrent transaction on the same items (DynamoDB cancels one
        of two transactions touching one shelf at once) is retried a few times with jitter."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._commit()
                return
            except _Contended:
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
        raise ServiceUnavailable("Other changes to the same items kept getting in the way; retry shortly.")

    def _commit(self) -> None:
        ordered = [op for kind in ("check", "delete", "put", "update") for op in self._ops[kind]]
        try:
            with TransactWrite(connection=type(self).connection()) as tx:
                for add, _ in ordered:
                    add(tx)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            for index, reason in enumerate(reasons):
                if reason is not None and reason.code == "ConditionalCheckFailed":
                    failure = ordered[index][1] if index < len(ordered) else None
                    if callable(failure) and not isinstance(failure, Exception):
                        failure = failure()
                    raise failure or Conflict("The change conflicts with the current state.") from None
            if any(reason is not None and reason.code == "TransactionConflict" for reason in reasons):
                raise _Contended() from exc
            raise ServiceUnavailable(f"The {self.store} store is busy; retry shortly.") from exc
        except PynamoDBException as exc:
            raise ServiceUnavailable(f"The {self.store} store is unavailable; retry shortly.") from exc


class _Contended(Exception):
    pass


def read(store: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A read; storage failures become 503 problems (DoesNotExist passes through)."""
    try:
        return fn(*args, **kwargs)
    except DoesNotExist:
        raise
    except PynamoDBException as exc:
        raise ServiceUnavailable(f"The {store} store is unavailable; retry shortly.") from exc
